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
 * (the server's, after a HEAD), never from before it. The chunk lives in one buffer, allocated
 * once and reused for every chunk: the stream's pieces are copied in and dropped at once. Kept by
 * reference instead, a chunk's ~100 pieces outlived a young-generation collection while the chunk
 * was sent, were promoted, and piled up as external memory until a full collection (V8 starts
 * one only after ~64 MB of it): 108 MB of peak growth for a 200 MB upload in `npm run bench --
 * memory`, against a fixed 6 MB here.
 */
import { Readable } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * The body tus-js-client sends: its Node HTTP stack pipes a Readable into the request and reads
 * `size` for the Content-Length.
 */
export type ChunkValue = Readable & { size: number };

export interface SliceResult {
  value: ChunkValue;
  done: boolean;
}

/**
 * The pieces a chunk goes out in: small enough that tus's progress (which feeds the stall and idle
 * timers) moves as the socket drains, not once per chunk.
 */
const SEND_PIECE_BYTES = 64 * 1024;

export class ChunkSource {
  /** tus-js-client reads it when no uploadSize is given; this service always gives one or defers. */
  readonly size: number;
  private readonly pieces: AsyncIterator<Buffer | string>;
  /** The current chunk is buffer[0, chunkBytes), the stream's bytes from chunkStart on. */
  private buffer: Buffer;
  private chunkBytes = 0;
  private chunkStart = 0;
  /** Bytes read from the stream but not yet in a chunk (the read-ahead). */
  private ahead: Buffer[] = [];
  private aheadBytes = 0;
  private ended = false;
  private closed = false;
  /** The stream's own error. Kept: a stream that failed must never read as one that ended. */
  failure: Error | undefined;

  /** `chunkBytes`: the largest slice expected (tus's chunkSize), so the buffer is sized once. */
  constructor(
    private readonly stream: AsyncIterable<Buffer | string> & { destroy?: () => void },
    size?: number,
    chunkBytes = 0,
  ) {
    this.pieces = stream[Symbol.asyncIterator]();
    this.size = size ?? Number.NaN;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
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
      // A server that lost the upload (expired: tus-js-client then creates a new one and starts at
      // 0) or bytes it had acknowledged sends the client back before its chunk. The stream cannot
      // rewind; the step's retry uploads the object again from its source.
      throw new AppError('storage_upload_lost', `Storage asked to resume at byte ${start}, but only bytes ${this.chunkStart}..${chunkEnd} are still held: the upload is lost`, {
        status: 502,
        retryable: true,
      });
    }
    const want = end - start;
    // The bytes still wanted move to the front. tus asks for a slice only once the request before
    // it has settled, so nothing still sends from the bytes overwritten here.
    const kept = Math.min(chunkEnd - start, want);
    if (want > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(want);
      this.buffer.copy(bigger, 0, start - this.chunkStart, start - this.chunkStart + kept);
      this.buffer = bigger;
    } else {
      this.buffer.copyWithin(0, start - this.chunkStart, start - this.chunkStart + kept);
    }
    let have = kept;
    while (have < want) {
      const next = await this.take(want - have);
      if (!next) break;
      next.copy(this.buffer, have);
      have += next.length;
    }
    // Read one piece ahead while there is none, so "done" is known now, not one slice late.
    if (this.aheadBytes === 0 && !this.ended) await this.fill();
    this.chunkBytes = have;
    this.chunkStart = start;
    const parts: Buffer[] = [];
    for (let at = 0; at < have; at += SEND_PIECE_BYTES) parts.push(this.buffer.subarray(at, Math.min(have, at + SEND_PIECE_BYTES)));
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
