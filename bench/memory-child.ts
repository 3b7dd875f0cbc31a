/**
 * The memory figure's own process: argv[2] is a migrated database. Prints one JSON line.
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

const VIDEO_BYTES = 200 * 1024 * 1024;
const MB = 1024 * 1024;

setLogSilent(true);
const db = createPool(process.argv[2]!, 5);
const doubles = await startDoublesProcess({
  veo: { apiKey: API_KEY, mp4Header: true, videoSize: VIDEO_BYTES, chunkSize: 64 * 1024, pollsUntilDone: 1 },
  storage: { buckets: [{ id: BUCKET }], keepBytes: false },
});
const services = wiredServices(db, doubles.veo, doubles.storage, { MAX_DOWNLOAD_MB: '512' });
await seedScenes(db, 1, 1);

// The baseline is taken with every module loaded and the services built, after a collection.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await new Promise((r) => setTimeout(r, 200));
gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const started = performance.now();
const result = await runTick(services, { linger: false });
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const seconds = (performance.now() - started) / 1000;
const { rows } = await db.query<{ status: string }>(`select status from video_tasks`);
const { storage } = await doubles.counts();
if (rows[0]?.status !== 'completed' || storage.bytesReceived !== VIDEO_BYTES) {
  throw new Error(`the video was not stored: task ${rows[0]?.status}, ${storage.bytesReceived} bytes received, tick ${JSON.stringify(result)}`);
}
await doubles.stop();
await db.end();
console.log(JSON.stringify({
  videoMb: VIDEO_BYTES / MB,
  baselineMb: baseline / MB,
  peakMb: peak / MB,
  growthMb: (peak - baseline) / MB,
  seconds,
  stored: storage.bytesReceived,
}));
