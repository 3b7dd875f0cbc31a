import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkSource } from './chunk-source.js';

function bytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

function pieces(data: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    })(),
  );
}

describe('ChunkSource (one chunk of a stream at a time, for tus-js-client)', () => {
  it('hands out chunks of the asked size across source pieces, done on the last', async () => {
    const data = bytes(25);
    const source = new ChunkSource(pieces(data, 7));
    const a = await source.slice(0, 10);
    expect([a.value.size, a.done]).toEqual([10, false]);
    const b = await source.slice(10, 20);
    const c = await source.slice(20, 30);
    expect([c.value.size, c.done]).toEqual([5, true]);
    expect(Buffer.concat([a.value, b.value, c.value]).equals(data)).toBe(true);
  });

  it('knows it is done when the stream ends exactly on a chunk boundary (tus StreamSource hangs there)', async () => {
    const data = bytes(20);
    const source = new ChunkSource(pieces(data, 5));
    expect((await source.slice(0, 10)).done).toBe(false);
    const last = await source.slice(10, 20);
    expect([last.value.size, last.done]).toEqual([10, true]);
  });

  it('resends from any offset inside the current chunk (after a failed PATCH), never from before it', async () => {
    const data = bytes(30);
    const source = new ChunkSource(pieces(data, 4));
    await source.slice(0, 10);
    const first = await source.slice(10, 20);
    const again = await source.slice(10, 20);
    expect(again.value.equals(first.value)).toBe(true);
    const partial = await source.slice(14, 24);
    expect(partial.value.equals(data.subarray(14, 24))).toBe(true);
    await expect(source.slice(5, 15)).rejects.toThrow(/cannot resume at byte 5/);
  });

  it('an empty stream is one empty, final chunk; close() destroys the stream', async () => {
    const stream = Readable.from([]);
    const source = new ChunkSource(stream);
    const only = await source.slice(0, 10);
    expect([only.value.length, only.done]).toEqual([0, true]);
    const open = pieces(bytes(100), 10);
    const closing = new ChunkSource(open);
    await closing.slice(0, 10);
    closing.close();
    expect(open.destroyed).toBe(true);
  });

  it("a failing stream rejects the slice with the stream's own error", async () => {
    const broken = Readable.from(
      (async function* () {
        yield bytes(4);
        throw new Error('download broke');
      })(),
    );
    await expect(new ChunkSource(broken).slice(0, 10)).rejects.toThrow('download broke');
  });
});
