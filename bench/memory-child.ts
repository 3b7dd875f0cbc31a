/**
 * The memory figure's own process: argv[2] is a migrated database, argv[3] `warm` or `fresh`.
 * Prints one JSON line.
 *
 * `warm`: a first, 8 MB video goes through the same path (Veo poll, download, resumable upload)
 * before the baseline, as on a function instance that has served a request before. What the
 * 200 MB video then adds is what streaming it costs.
 * `fresh`: the 200 MB video is the process's first. Its growth also holds what an instance pays
 * once: Node's fetch starting (undici's code and its HTTP parser, compiled from WebAssembly) and
 * the step's SDKs loading on first use (lib/providers/google-client.ts, lib/storage/tus-upload.ts).
 *
 * The Veo and Storage doubles run in a process of their own (bench/doubles-process.ts), as Veo and
 * Supabase Storage are remote in production: their sockets' buffers, 200 MB sent and 200 MB
 * received, are not the function's memory, and in this process they were counted as if they were.
 */
import { createPool } from '../lib/db/pool.js';
import { setLogSilent } from '../lib/log.js';
import { runTick } from '../lib/tick/run-tick.js';
import { startDoublesProcess } from './doubles-process.js';
import { API_KEY, BUCKET, seedScenes, wiredServices } from './support.js';

const MB = 1024 * 1024;
const VIDEO_BYTES = 200 * MB;
/** Over the 6 MB resumable threshold, so the warm-up takes the resumable path too. */
const WARM_UP_BYTES = 8 * MB;

setLogSilent(true);
const mode = process.argv[3] === 'fresh' ? 'fresh' : 'warm';
const db = createPool(process.argv[2]!, 5);

/** One scene due, whose video of `bytes` a tick will stream from a Veo double of its own. */
async function prepareVideo(bytes: number) {
  const doubles = await startDoublesProcess({
    veo: { apiKey: API_KEY, mp4Header: true, videoSize: bytes, chunkSize: 64 * 1024, pollsUntilDone: 1 },
    storage: { buckets: [{ id: BUCKET }], keepBytes: false },
  });
  const services = wiredServices(db, doubles.veo, doubles.storage, { MAX_DOWNLOAD_MB: '512' });
  const [jobId] = await seedScenes(db, 1, 1);
  let result: unknown;
  return {
    run: async () => {
      result = await runTick(services, { linger: false });
    },
    /** Checks, outside the measured window, that all of it was stored; then stops the doubles. */
    async verify() {
      const { rows } = await db.query<{ status: string }>(`select status from video_tasks where job_id = $1`, [jobId]);
      const { storage } = await doubles.counts();
      if (rows[0]?.status !== 'completed' || storage.bytesReceived !== bytes) {
        throw new Error(`the video was not stored: task ${rows[0]?.status}, ${storage.bytesReceived} bytes received, tick ${JSON.stringify(result)}`);
      }
      await doubles.stop();
    },
  };
}

async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
}

if (mode === 'warm') {
  const warmUp = await prepareVideo(WARM_UP_BYTES);
  await warmUp.run();
  await warmUp.verify();
}
const video = await prepareVideo(VIDEO_BYTES);

// The baseline is taken with the services built and the scene due, after a collection.
await settle();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const started = performance.now();
await video.run();
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await video.verify();
await db.end();
console.log(JSON.stringify({
  mode,
  videoMb: VIDEO_BYTES / MB,
  baselineMb: baseline / MB,
  peakMb: peak / MB,
  growthMb: (peak - baseline) / MB,
  seconds,
  stored: VIDEO_BYTES,
}));
