/**
 * Moving media between the object store and a local working folder, for the steps ffmpeg needs
 * files for (renders, variations). Downloads land under a temporary name and are renamed into
 * place, so a file that exists is whole: a step cut short by the tick's budget can pick up what
 * an earlier attempt on this instance already fetched or rendered.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../storage/types.js';

const WORK_DIR_PREFIX = 'explainer-work-';

/** A folder per job and step, e.g. `<tmp>/explainer-work-render-<jobId>`. */
export async function workDir(step: string, jobId: string): Promise<string> {
  const dir = path.join(os.tmpdir(), `${WORK_DIR_PREFIX}${step}-${jobId}`);
  await mkdir(dir, { recursive: true });
  // Marked as in use now: a folder reused a day later (a retry) must not look abandoned to the sweep.
  const now = new Date();
  await utimes(dir, now, now);
  return dir;
}

/**
 * A step keeps its folder when it fails, so a retry on this instance can pick up where it was;
 * one that failed for good, or that another instance finished, is never come back to. On Vercel
 * /tmp (512 MB) outlives an invocation, so each tick removes folders untouched for longer than
 * any tick can run. Returns how many it removed; a folder it cannot read or remove is skipped.
 */
export async function sweepWorkDirs(options: { olderThanMs: number; root?: string; now?: number }): Promise<number> {
  const root = options.root ?? os.tmpdir();
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const names = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = path.join(root, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || info.mtimeMs > cutoff) continue;
    if (await rm(dir, { recursive: true, force: true }).then(() => true, () => false)) removed++;
  }
  return removed;
}

export async function hasFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile() && s.size > 0, () => false);
}

/** A unique sibling name to write to before renaming into place. */
export function partName(file: string): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${randomUUID().slice(0, 8)}.part${ext}`;
}

/** Fetches `objectPath` into `file` unless a whole copy is already there. */
export async function downloadTo(store: ObjectStore, objectPath: string, file: string, signal?: AbortSignal): Promise<void> {
  if (await hasFile(file)) return;
  const temp = partName(file);
  try {
    const object = await store.get(objectPath, signal ? { signal } : {});
    await (signal ? pipeline(object.body, createWriteStream(temp), { signal }) : pipeline(object.body, createWriteStream(temp)));
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Streams a local file into the store (an upsert). Returns its size. */
export async function uploadFile(store: ObjectStore, objectPath: string, file: string, contentType: string, signal?: AbortSignal): Promise<number> {
  const { size } = await stat(file);
  await store.put(objectPath, createReadStream(file), { contentType, contentLength: size, ...(signal ? { signal } : {}) });
  return size;
}

/** Runs `make(temp)` and renames its output into `file`: a crash leaves no half file behind. */
export async function produce(file: string, make: (temp: string) => Promise<void>): Promise<void> {
  const temp = partName(file);
  try {
    await make(temp);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}
