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
 * (the server's, after a HEAD), never from before it.
 */

/** The body tus-js-client sends: its Node HTTP stack reads `size` for Content-Length. */
export type ChunkValue = Buffer & { size: number };

export interface SliceResult {
  value: ChunkValue;
  done: boolean;
}

export class ChunkSource {
  /** tus-js-client reads it when no uploadSize is given; this service always gives one or defers. */
  readonly size: number;
  private readonly pieces: AsyncIterator<Buffer | string>;
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  /** Bytes read from the stream but not yet in a chunk (the read-ahead). */
  private ahead: Buffer[] = [];
  private aheadBytes = 0;
  private ended = false;
  private closed = false;

  constructor(
    private readonly stream: AsyncIterable<Buffer | string> & { destroy?: () => void },
    size?: number,
  ) {
    this.pieces = stream[Symbol.asyncIterator]();
    this.size = size ?? Number.NaN;
  }

  async slice(start: number, end: number): Promise<SliceResult> {
    const chunkEnd = this.chunkStart + this.chunk.length;
    if (start < this.chunkStart || start > chunkEnd) {
      // Only a server that lost bytes it had acknowledged sends a client back before its chunk.
      throw new Error(`cannot resume at byte ${start}: only bytes ${this.chunkStart}..${chunkEnd} are still held`);
    }
    const kept = this.chunk.subarray(start - this.chunkStart);
    const want = end - start;
    const parts: Buffer[] = [kept];
    let have = kept.length;
    while (have < want) {
      const next = await this.take(want - have);
      if (!next) break;
      parts.push(next);
      have += next.length;
    }
    // Read one piece ahead while there is none, so "done" is known now, not one slice late.
    if (this.aheadBytes === 0 && !this.ended) await this.fill();
    this.chunk = parts.length === 1 ? kept : Buffer.concat(parts, have);
    this.chunkStart = start;
    const value = this.chunk as ChunkValue;
    value.size = value.length;
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
