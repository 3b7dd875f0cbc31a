/**
 * Guards a download on its way to storage: refuses a body that is not an MP4 or grows past the
 * cap, while streaming (the file is never held in memory).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';
import { looksLikeMp4 } from './mp4.js';

/** Enough bytes to see the `ftyp` box. */
const SNIFF_BYTES = 12;

export function guardVideoStream(maxBytes: number): Transform & { bytes: () => number } {
  let seen = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        callback(new AppError('too_large', `The video is larger than the ${Math.round(maxBytes / 1048576)} MB limit`, { retryable: false }));
        return;
      }
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length < SNIFF_BYTES) return callback();
        if (!looksLikeMp4(head)) {
          callback(new AppError('not_a_video', 'The provider returned something that is not an MP4 video', { retryable: false }));
          return;
        }
        const out = head;
        head = undefined;
        return callback(null, out);
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (head) {
        callback(new AppError('not_a_video', `The provider returned ${seen} bytes, too few for a video`, { retryable: false }));
        return;
      }
      callback();
    },
  });
  return Object.assign(guard, { bytes: () => seen });
}
