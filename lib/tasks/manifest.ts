/**
 * A manifest: a small JSON object stored beside what a task made, written after it, saying what
 * it was made from. A rerun whose inputs match reuses the stored result; one whose inputs changed
 * (a retried job's final cut gained a scene) makes it again. Missing or unreadable reads as none.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import type { ObjectStore } from '../storage/types.js';

/** What a manifest records its result was made from, as one comparable string. */
export function signatureOf(basis: unknown): string {
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

export async function readManifest<T extends z.ZodType>(store: ObjectStore, key: string, schema: T, signal: AbortSignal): Promise<z.infer<T> | undefined> {
  if (!(await store.exists(key))) return undefined;
  const object = await store.get(key, { signal });
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // An unreadable manifest only means making the thing again.
    return undefined;
  }
}

/** Written last: it vouches for the objects put before it. */
export async function writeManifest(store: ObjectStore, key: string, manifest: unknown, signal: AbortSignal): Promise<void> {
  const text = Buffer.from(JSON.stringify(manifest));
  await store.put(key, Readable.from([text]), { contentType: 'application/json', contentLength: text.length, signal });
}
