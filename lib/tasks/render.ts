/**
 * The final cut: once every scene of the job is final and at least one succeeded, the successful
 * scenes are joined in order into `<jobId>/final.mp4` and a poster `<jobId>/poster.jpg` is taken
 * from it; both go to the object store, and lib/jobs/sync.ts makes them the job's (and the
 * escalation's) video.
 *
 * Never started twice at once: the tick's lease. Safe to repeat: the paths are fixed and puts are
 * upserts. Resumable: a stored manifest (`final.json`, written last) says which scenes the stored
 * cut holds, so a finished cut is never redone and a stale one (a retried job gained scenes) is;
 * locally, whole files from an earlier attempt on this instance (scenes, the cut, the poster) are
 * reused, so a render cut short by the tick's budget carries on where it stopped.
 * Not a provider kind: waiting here uses no Veo quota.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { renderInputSchema } from '../jobs/task-inputs.js';
import { renderKind } from '../kinds/render.js';
import { log } from '../log.js';
import { canStreamCopy, concatClips, extractPoster } from '../media/concat.js';
import { ffmpegPath } from '../media/ffmpeg.js';
import { downloadTo, hasFile, produce, uploadFile, workDir } from '../media/files.js';
import { readMp4Info } from '../media/mp4.js';
import { anyActive, objectPathOf, readDependencies } from './deps.js';
import { progressReporter } from './progress-reporter.js';
import { readManifest, signatureOf, writeManifest } from './manifest.js';
import type { TaskContext, TaskKind, TaskOutcome, TaskRow } from './types.js';

export const finalCutPath = (jobId: string) => `${jobId}/final.mp4`;
export const posterPath = (jobId: string) => `${jobId}/poster.jpg`;
const manifestPath = (jobId: string) => `${jobId}/final.json`;

/** The poster is taken this far in (or halfway through a shorter first scene). */
const POSTER_AT_SECONDS = 1;

const manifestSchema = z.object({
  signature: z.string(),
  output: z.object({
    bytes: z.number(),
    mode: z.enum(['copy', 'reencode']),
    durationSeconds: z.number(),
    width: z.number(),
    height: z.number(),
    scenes: z.array(z.number()),
    sceneSeconds: z.array(z.number()),
  }),
});

async function advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome> {
  const input = renderInputSchema.parse(task.input);
  const { db, store, config } = ctx.services;
  const scenes = await readDependencies(db, task.job_id, input.waitsFor);
  if (anyActive(scenes)) return { type: 'waiting' };
  const ready = scenes.flatMap((s) => {
    const objectPath = objectPathOf(s);
    return objectPath ? [{ position: s.position, objectPath }] : [];
  });
  if (ready.length === 0) return { type: 'failed', code: 'no_scenes', message: 'No scene could be generated, so there is nothing to render' };

  const signal = ctx.signal;
  const finalKey = finalCutPath(task.job_id);
  const posterKey = posterPath(task.job_id);
  const manifestKey = manifestPath(task.job_id);
  // Which scenes the cut is made of: a retried job may gain scenes, and then its old `final.mp4`
  // is stale even though it exists.
  const signature = signatureOf(ready);
  let manifest = await readManifest(store, manifestKey, manifestSchema, signal);

  if (manifest?.signature !== signature) {
    const binary = ffmpegPath(config);
    // Keyed by the scene set too, so a leftover from a cut of other scenes is never reused.
    const dir = await workDir('render', `${task.job_id}-${signature.slice(0, 12)}`);
    const localFinal = path.join(dir, 'final.mp4');
    const localPoster = path.join(dir, 'poster.jpg');
    const files = ready.map((s) => path.join(dir, `scene-${String(s.position).padStart(3, '0')}.mp4`));
    for (const [i, scene] of ready.entries()) await downloadTo(store, scene.objectPath, files[i]!, signal);
    const clips = await Promise.all(files.map((f) => readMp4Info(f)));
    const sceneSeconds = clips.map((c) => c.durationSeconds);
    const total = sceneSeconds.reduce((a, b) => a + b, 0);
    const mode = canStreamCopy(clips) ? 'copy' : 'reencode';
    if (!(await hasFile(localFinal))) {
      const report = progressReporter(db, task, { stage: 'rendering' });
      await produce(localFinal, async (temp) => {
        await concatClips(files, temp, {
          signal,
          binary,
          listFile: path.join(dir, 'concat.txt'),
          onProgress: (p) => p.outTimeSeconds !== undefined && total > 0 && report(p.outTimeSeconds / total),
        });
      });
    }
    const info = await readMp4Info(localFinal);
    if (!(await hasFile(localPoster))) {
      const at = Math.min(POSTER_AT_SECONDS, (sceneSeconds[0] ?? info.durationSeconds) / 2);
      await produce(localPoster, (temp) => extractPoster(localFinal, temp, at, { signal, binary }));
    }
    const bytes = await uploadFile(store, finalKey, localFinal, 'video/mp4', signal);
    await uploadFile(store, posterKey, localPoster, 'image/jpeg', signal);
    manifest = {
      signature,
      output: { bytes, mode, durationSeconds: info.durationSeconds, width: info.width, height: info.height, scenes: ready.map((s) => s.position), sceneSeconds },
    };
    await writeManifest(store, manifestKey, manifest, signal);
    await rm(dir, { recursive: true, force: true });
    log('render_done', { jobId: task.job_id, scenes: ready.length, mode, seconds: info.durationSeconds });
  }

  const [url, posterUrl] = await Promise.all([store.url(finalKey), store.url(posterKey)]);
  return {
    type: 'completed',
    output: { objectPath: finalKey, url, posterPath: posterKey, posterUrl, contentType: 'video/mp4', store: store.name, final: true, ...manifest.output },
  };
}

export const render: TaskKind = { ...renderKind, advance };
