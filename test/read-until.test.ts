/** `readUntil()` argument checks (coded errors naming the argument, as docs/contract.md#starting-a-splice), on any stream. */
import { describe, expect, it } from 'vitest';
import { readExactly, readUntil } from '@sosplice/core';

const endpoint = () => ({ readable: new ReadableStream<Uint8Array>(), unshift: () => {} });
const code = (c: string, name: string) => expect.objectContaining({ code: c, name });

describe('readUntil() arguments', () => {
  it('refuses a source without unshift(), a bad delimiter and bad options, locking nothing', async () => {
    const ep = endpoint();
    await expect(readUntil({ readable: ep.readable } as never, '\n')).rejects.toEqual(code('ERR_INVALID_ARG_TYPE', 'TypeError'));
    await expect(readUntil(ep, 42 as never)).rejects.toEqual(code('ERR_INVALID_ARG_TYPE', 'TypeError'));
    await expect(readUntil(ep, '')).rejects.toEqual(code('ERR_OUT_OF_RANGE', 'RangeError'));
    await expect(readUntil(ep, '\r\n', { maxBytes: '1' as never })).rejects.toEqual(code('ERR_INVALID_ARG_TYPE', 'TypeError'));
    await expect(readUntil(ep, '\r\n', { maxBytes: 1 })).rejects.toEqual(code('ERR_OUT_OF_RANGE', 'RangeError'));
    await expect(readUntil(ep, '\r\n', { maxBytes: 1.5 })).rejects.toEqual(code('ERR_OUT_OF_RANGE', 'RangeError'));
    expect(ep.readable.locked).toBe(false);
  });

  it('finds a delimiter split across chunks and gives back exactly the bytes after it', async () => {
    const chunks = ['GET / HTTP/1.1\r', '\n\r', '\nbody', '...'].map((s) => new TextEncoder().encode(s));
    const back: Uint8Array[] = [];
    const readable = new ReadableStream<Uint8Array>({ pull: (c) => void c.enqueue(chunks.shift()!) });
    const head = await readUntil({ readable, unshift: (b) => void back.push(b) }, '\r\n\r\n');
    expect(new TextDecoder().decode(head)).toBe('GET / HTTP/1.1\r\n\r\n');
    expect(back.map((b) => new TextDecoder().decode(b))).toEqual(['body']);
    expect(readable.locked).toBe(false);
  });

  it('readExactly() over a plain stream: exactly length bytes across chunks, the rest given back, the stream unlocked', async () => {
    const chunks = ['ab', 'cdef', 'ghij'].map((t) => new TextEncoder().encode(t));
    const back: Uint8Array[] = [];
    const readable = new ReadableStream<Uint8Array>({ pull: (c) => void c.enqueue(chunks.shift()!) });
    const body = await readExactly({ readable, unshift: (b) => void back.push(b) }, 7);
    expect(new TextDecoder().decode(body)).toBe('abcdefg');
    expect(back.map((b) => new TextDecoder().decode(b))).toEqual(['hij']);
    expect(readable.locked).toBe(false);
  });
});
