/**
 * One variation of a finished video: the effects for (seed, index, count) from
 * lib/media/effects.ts, applied by ffmpeg, stored as `<jobId>/variation-NN.mp4`. The source is
 * another completed job's final video, or (with `waitsFor`) this job's own final cut. Progress
 * comes from ffmpeg's `-progress` output and is written to the task while it runs. Each
 * variation is its own task, so one that fails leaves the others alone.
 *
 * Safe to repeat: a manifest (`variation-NN.json`, ./manifest.ts) says which version of which
 * source the stored variation was made from, so a finished one is reused and a stale one (its
 * job was retried and the final cut remade) is made again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { variationInputSchema, type VariationInput } from '../jobs/task-inputs.js';
import { variationKind } from '../kinds/variation.js';
import { STATUS } from '../states.js';
import type { Queryable } from '../db/pool.js';
import { describeEffects, pickVariations, variationArgs, variationSeconds } from '../media/effects.js';
import { ffmpegPath, runFfmpeg } from '../media/ffmpeg.js';
import { downloadTo, hasFile, produce, uploadFile, workDir } from '../media/files.js';
import { readMp4Info } from '../media/mp4.js';
import { anyActive, objectPathOf, readDependencies } from './deps.js';
import { progressReporter } from './progress-reporter.js';
import { readManifest, signatureOf, writeManifest } from './manifest.js';
import type { TaskContext, TaskKind, TaskOutcome, TaskRow } from './types.js';

const variationStem = (jobId: string, index: number) => `${jobId}/variation-${String(index + 1).padStart(2, '0')}`;
export const variationPath = (jobId: string, index: number) => `${variationStem(jobId, index)}.mp4`;
const variationManifestPath = (jobId: string, index: number) => `${variationStem(jobId, index)}.json`;

const sourceJobSchema = z.object({ status: z.string(), video_path: z.string().nullable(), completed_at: z.date().nullable() });

/** `made` tells versions of the same path apart: a retried job's final cut is remade in place. */
type Source = { path: string; made: Date | null } | { waiting: true } | { missing: string };

const manifestSchema = z.object({
  signature: z.string(),
  output: z.object({ bytes: z.number(), sha256: z.string(), durationSeconds: z.number(), width: z.number(), height: z.number() }),
});

async function findSource(db: Queryable, task: TaskRow, input: VariationInput): Promise<Source> {
  if (input.waitsFor) {
    const deps = await readDependencies(db, task.job_id, input.waitsFor);
    if (anyActive(deps)) return { waiting: true };
    const found = deps.find((d) => objectPathOf(d) !== undefined);
    return found ? { path: objectPathOf(found)!, made: found.completed_at } : { missing: 'the final cut this variation starts from could not be made' };
  }
  if (!input.sourceJobId) return { missing: 'no source job was named' };
  const { rows } = await db.query(`select status, video_path, completed_at from video_jobs where id = $1`, [input.sourceJobId]);
  const job = rows[0] ? sourceJobSchema.parse(rows[0]) : undefined;
  if (!job || job.status !== STATUS.completed || !job.video_path) return { missing: `job ${input.sourceJobId} has no finished video` };
  return { path: job.video_path, made: job.completed_at };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome> {
  const input = variationInputSchema.parse(task.input);
  const { db, store, config } = ctx.services;
  const source = await findSource(db, task, input);
  if ('waiting' in source) return { type: 'waiting' };
  if ('missing' in source) return { type: 'failed', code: 'no_source', message: `Nothing to vary: ${source.missing}` };

  const effects = pickVariations(input.seed, input.count)[input.index];
  if (!effects) return { type: 'failed', code: 'invalid_input', message: `Variation ${input.index + 1} is outside a set of ${input.count}` };
  const signal = ctx.signal;
  const key = variationPath(task.job_id, input.index);
  const manifestKey = variationManifestPath(task.job_id, input.index);
  // What it is made from: the source, in the version it had, and its effects.
  const signature = signatureOf({ path: source.path, made: source.made?.toISOString() ?? null, seed: input.seed, count: input.count, index: input.index });
  // A stored variation is reused only if it was made from this version of the source: after a
  // retry re-rendered the final cut, the one stored from the old cut is stale though it exists.
  let manifest = await readManifest(store, manifestKey, manifestSchema, signal);
  if (manifest?.signature !== signature) {
    // Keyed by the signature too, so a leftover from another source version is never reused.
    const dir = await workDir('variation', `${task.job_id}-${input.index}-${signature.slice(0, 12)}`);
    const localSource = path.join(dir, 'source.mp4');
    const localOut = path.join(dir, 'variation.mp4');
    if (!(await hasFile(localOut))) {
      await downloadTo(store, source.path, localSource, signal);
      const info = await readMp4Info(localSource);
      const expected = variationSeconds(info.durationSeconds, effects);
      const report = progressReporter(db, task, { stage: 'rendering', effects: describeEffects(effects) });
      await produce(localOut, (temp) =>
        runFfmpeg(variationArgs(localSource, temp, effects, info), {
          signal,
          binary: ffmpegPath(config),
          onProgress: (p) => p.outTimeSeconds !== undefined && expected > 0 && report(p.outTimeSeconds / expected),
        }),
      );
    }
    const [info, sha256, bytes] = await Promise.all([readMp4Info(localOut), sha256Of(localOut), uploadFile(store, key, localOut, 'video/mp4', signal)]);
    manifest = { signature, output: { bytes, sha256, durationSeconds: info.durationSeconds, width: info.width, height: info.height } };
    await writeManifest(store, manifestKey, manifest, signal);
    await rm(dir, { recursive: true, force: true });
  }
  const url = await store.url(key);
  return {
    type: 'completed',
    output: {
      objectPath: key,
      url,
      contentType: 'video/mp4',
      store: store.name,
      sourcePath: source.path,
      seed: input.seed,
      effects,
      description: describeEffects(effects),
      ...manifest.output,
      progress: 1,
    },
  };
}

export const variation: TaskKind = { ...variationKind, advance };
