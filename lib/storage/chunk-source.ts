/**
 * A tus-js-client FileSource over a stream, holding one chunk at a time.
 *
 * tus-js-client's own StreamSource keeps one chunk too, but it waits for a 'readable' event to
 * learn that a stream has ended: when a stream of unknown length ends exactly on a chunk boundary
 * that event never comes and the upload hangs (readChunk in lib/node/sources/StreamSource.js).
 * This source reads the stream as an async iterator instead, and reads one piece ahead, so it
 * knows at every slice whether it handed over the last byte (tus then declares the length).
 *
 * Only the current chunk is kept: a failed chunk can be sent again from any offset inside it
 * (the server's, after a HEAD), never from before it. A chunk is the stream's own pieces, never
 * copied into one buffer: 6 MB copies of a 200 MB video would be 200 MB of garbage to collect.
 */
import { Readable } from 'node:stream';

/**
 * The body tus-js-client sends: its Node HTTP stack pipes a Readable into the request and reads
 * `size` for the Content-Length.
 */
export type ChunkValue = Readable & { size: number };

export interface SliceResult {
  value: ChunkValue;
  done: boolean;
}

export class ChunkSource {
  /** tus-js-client reads it when no uploadSize is given; this service always gives one or defers. */
  readonly size: number;
  private readonly pieces: AsyncIterator<Buffer | string>;
  /** The current chunk as the stream's pieces, and where it starts in the stream. */
  private chunk: Buffer[] = [];
  private chunkBytes = 0;
  private chunkStart = 0;
  /** Bytes read from the stream but not yet in a chunk (the read-ahead). */
  private ahead: Buffer[] = [];
  private aheadBytes = 0;
  private ended = false;
  private closed = false;
  /** The stream's own error. Kept: a stream that failed must never read as one that ended. */
  failure: Error | undefined;

  constructor(
    private readonly stream: AsyncIterable<Buffer | string> & { destroy?: () => void },
    size?: number,
  ) {
    this.pieces = stream[Symbol.asyncIterator]();
    this.size = size ?? Number.NaN;
  }

  async slice(start: number, end: number): Promise<SliceResult> {
    // tus-js-client retries a failed slice like a failed request; a broken stream stays broken,
    // or the retry would see an exhausted iterator, take it for the end, and declare a short length.
    if (this.failure) throw this.failure;
    try {
      return await this.read(start, end);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      throw this.failure;
    }
  }

  private async read(start: number, end: number): Promise<SliceResult> {
    const chunkEnd = this.chunkStart + this.chunkBytes;
    if (start < this.chunkStart || start > chunkEnd) {
      // Only a server that lost bytes it had acknowledged sends a client back before its chunk.
      throw new Error(`cannot resume at byte ${start}: only bytes ${this.chunkStart}..${chunkEnd} are still held`);
    }
    const want = end - start;
    const parts = skip(this.chunk, start - this.chunkStart, want);
    let have = parts.reduce((n, part) => n + part.length, 0);
    while (have < want) {
      const next = await this.take(want - have);
      if (!next) break;
      parts.push(next);
      have += next.length;
    }
    // Read one piece ahead while there is none, so "done" is known now, not one slice late.
    if (this.aheadBytes === 0 && !this.ended) await this.fill();
    this.chunk = parts;
    this.chunkBytes = have;
    this.chunkStart = start;
    const value = Readable.from(parts, { objectMode: false }) as ChunkValue;
    value.size = have;
    return { value, done: this.ended && this.aheadBytes === 0 };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Stops the source (a download, a file) when the upload gives up before reading it all.
    this.stream.destroy?.();
  }

  /** At most `max` bytes: from the read-ahead first, else from the stream; `undefined` at its end. */
  private async take(max: number): Promise<Buffer | undefined> {
    if (this.aheadBytes === 0 && !(await this.fill())) return undefined;
    const head = this.ahead[0]!;
    if (head.length <= max) {
      this.ahead.shift();
      this.aheadBytes -= head.length;
      return head;
    }
    this.ahead[0] = head.subarray(max);
    this.aheadBytes -= max;
    return head.subarray(0, max);
  }

  /** Reads one non-empty piece into the read-ahead; false once the stream has ended. */
  private async fill(): Promise<boolean> {
    while (!this.ended) {
      const { value, done } = await this.pieces.next();
      if (done) {
        this.ended = true;
        break;
      }
      const piece = typeof value === 'string' ? Buffer.from(value) : value;
      if (piece.length === 0) continue;
      this.ahead.push(piece);
      this.aheadBytes += piece.length;
      return true;
    }
    return false;
  }
}

/** The pieces after the first `from` bytes, at most `max` bytes of them (views, not copies). */
function skip(pieces: Buffer[], from: number, max: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = from;
  let left = max;
  for (const piece of pieces) {
    if (left <= 0) break;
    if (offset >= piece.length) {
      offset -= piece.length;
      continue;
    }
    const part = piece.subarray(offset, offset + left);
    offset = 0;
    left -= part.length;
    out.push(part);
  }
  return out;
}
