// The large response's bytes, shared by the server (which sends them), the
// page (which checks what it received) and the test (which checks the page).
// Byte i is the top byte of i times the golden ratio (a Weyl sequence): cheap,
// deterministic, and no short period, so a lost, repeated or reordered chunk
// shows as a wrong byte at its offset.

/** Fills `buf` with the bytes found at `offset` .. `offset + buf.length` of the response. */
export function fillPattern(buf, offset) {
  for (let j = 0; j < buf.length; j++) buf[j] = Math.imul(offset + j, 0x9e3779b1) >>> 24;
  return buf;
}

/** The first offset where `chunk` (found at `offset`) differs from the pattern, or -1. */
export function patternMismatch(chunk, offset) {
  for (let j = 0; j < chunk.length; j++) {
    if (chunk[j] !== Math.imul(offset + j, 0x9e3779b1) >>> 24) return offset + j;
  }
  return -1;
}

/** FNV-1a (32 bits) of `chunk`, continued from `hash` (start from FNV_START). */
export function fnv1a(hash, chunk) {
  let h = hash;
  for (let j = 0; j < chunk.length; j++) h = Math.imul(h ^ chunk[j], 16777619);
  return h >>> 0;
}
export const FNV_START = 0x811c9dc5;

/** Bytes as lower-case hex pairs separated by spaces, as the page shows them. */
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
