import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkSource, type SliceResult } from './chunk-source.js';

/** What a slice would send. */
async function sent(slice: SliceResult): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of slice.value) parts.push(part as Buffer);
  const body = Buffer.concat(parts);
  expect(body.length).toBe(slice.value.size);
  return body;
}

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
    // A slice is sent before the next is asked for (tus waits for each answer): its bytes are then reused.
    const a = await source.slice(0, 10);
    expect([a.value.size, a.done]).toEqual([10, false]);
    const first = await sent(a);
    const second = await sent(await source.slice(10, 20));
    const c = await source.slice(20, 30);
    expect([c.value.size, c.done]).toEqual([5, true]);
    expect(Buffer.concat([first, second, await sent(c)]).equals(data)).toBe(true);
  });

  it('copies every chunk into one buffer allocated once, so no piece of the stream outlives its copy', async () => {
    const data = bytes(64);
    // Each piece its own allocation, as a download's are.
    const own = Readable.from(
      (function* () {
        for (let at = 0; at < data.length; at += 3) yield Buffer.alloc(Math.min(3, data.length - at), data.subarray(at, at + 3));
      })(),
    );
    const source = new ChunkSource(own, undefined, 16);
    const backing = new Set<ArrayBufferLike>();
    const out: Buffer[] = [];
    for (let at = 0; at < 64; at += 16) {
      const slice = await source.slice(at, at + 16);
      for await (const part of slice.value) backing.add((part as Buffer).buffer);
      out.push(await sent(await source.slice(at, at + 16)));
    }
    expect(backing.size).toBe(1);
    expect(Buffer.concat(out).equals(data)).toBe(true);
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
    const first = await sent(await source.slice(10, 20));
    const again = await sent(await source.slice(10, 20));
    expect(first.equals(data.subarray(10, 20))).toBe(true);
    expect(again.equals(first)).toBe(true);
    const partial = await sent(await source.slice(14, 24));
    expect(partial.equals(data.subarray(14, 24))).toBe(true);
    const inner = await sent(await source.slice(15, 18));
    expect(inner.equals(data.subarray(15, 18))).toBe(true);
    await expect(source.slice(5, 15)).rejects.toMatchObject({ code: 'storage_upload_lost', retryable: true, message: expect.stringMatching(/resume at byte 5/) });
  });

  it('an empty stream is one empty, final chunk; close() destroys the stream', async () => {
    const stream = Readable.from([]);
    const source = new ChunkSource(stream);
    const only = await source.slice(0, 10);
    expect([only.value.size, only.done]).toEqual([0, true]);
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
    const source = new ChunkSource(broken);
    await expect(source.slice(0, 10)).rejects.toThrow('download broke');
    // Asked again (tus retries), it does not take the spent stream for one that ended.
    await expect(source.slice(0, 10)).rejects.toThrow('download broke');
    expect(source.failure?.message).toBe('download broke');
  });
});
