/**
 * A FIFO of byte chunks: what the adapter read from a conn and did not hand
 * on yet (a read that returned after its owner stopped, surplus put back).
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes queued. */
  size = 0;

  /** Appends bytes at the back. */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.push(bytes);
    this.size += bytes.byteLength;
  }

  /** Puts bytes back at the front (read, but not delivered). */
  unshift(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#chunks.unshift(bytes);
    this.size += bytes.byteLength;
  }

  /** Removes up to `max` bytes from the front, without copying. Only when `size > 0`. */
  take(max: number): Uint8Array {
    const head = this.#chunks[0]!;
    if (head.byteLength <= max) {
      this.#chunks.shift();
      this.size -= head.byteLength;
      return head;
    }
    this.#chunks[0] = head.subarray(max);
    this.size -= max;
    return head.subarray(0, max);
  }

  /** Copies up to `view.byteLength` bytes from the front into `view`; returns the count. */
  takeInto(view: Uint8Array): number {
    let n = 0;
    while (n < view.byteLength && this.size > 0) {
      const chunk = this.take(view.byteLength - n);
      view.set(chunk, n);
      n += chunk.byteLength;
    }
    return n;
  }
}
