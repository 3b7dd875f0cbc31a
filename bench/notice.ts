/**
 * Figure 3, notice latency: how long after Veo reports a scene done its URL is recorded. One
 * real, lingering tick (the default: it re-polls work that comes due within its budget) runs
 * for its full minute over 60 scenes whose operations finish 4–40 s after creation. The plain
 * per-minute tick (no lingering) is simulated on the same finish times with the same backoff
 * code (lib/tasks/backoff.ts), ticks at whole minutes.
 */
import { backoffMs } from '../lib/tasks/backoff.js';
import { runTick } from '../lib/tick/run-tick.js';
import { startStorageWire } from '../tests/doubles/storage-wire.js';
import { startVeoWire } from '../tests/doubles/veo-wire.js';
import { API_KEY, BUCKET, percentile, seedScenes, wiredServices, type Server } from './support.js';

const SCENES = 60;
const PER_JOB = 5;
const FINISH_RANGE: [number, number] = [4_000, 40_000];

export interface NoticeResult {
  scenes: number;
  noticed: number;
  p50S: number;
  p95S: number;
  plainP50S: number;
  plainP95S: number;
  tickS: number;
  functionSecondsPerJob: number;
}

/** The per-minute tick: polled at once when created (t = 0), then at the first whole minute at or after each backoff. */
function plainDelay(doneAfterMs: number, minSeconds: number, maxSeconds: number, random: () => number): number {
  let next = backoffMs(0, { minSeconds, maxSeconds, random });
  for (let polls = 1, tick = 60_000; ; tick += 60_000) {
    if (tick < next) continue;
    if (tick >= doneAfterMs) return tick - doneAfterMs;
    next = tick + backoffMs(polls++, { minSeconds, maxSeconds, random });
  }
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function notice(server: Server): Promise<NoticeResult> {
  const { db } = await server.database('bench_notice');
  const veo = await startVeoWire({ apiKey: API_KEY, mp4Header: true, videoSize: 64 * 1024, doneAfterMsRange: FINISH_RANGE });
  const storage = await startStorageWire({ buckets: [{ id: BUCKET }], keepBytes: false });
  try {
    const services = wiredServices(db, veo, storage, { MAX_IN_FLIGHT: '1000' });
    await seedScenes(db, SCENES, PER_JOB);
    const result = await runTick(services, { linger: true });
    const { rows } = await db.query<{ operation_name: string; status: string; completed_at: Date | null }>(`select operation_name, status, completed_at from video_tasks`);
    const delays: number[] = [];
    const plain: number[] = [];
    const random = seeded(3);
    const { POLL_MIN_SECONDS: min, POLL_MAX_SECONDS: max } = services.config;
    for (const row of rows) {
      const timing = veo.timing(row.operation_name);
      if (!timing?.doneAt) continue;
      plain.push(plainDelay(timing.doneAt - timing.createdAt, min, max, random) / 1000);
      if (row.status === 'completed' && row.completed_at) delays.push((row.completed_at.getTime() - timing.doneAt) / 1000);
    }
    return {
      scenes: SCENES,
      noticed: delays.length,
      p50S: percentile(delays, 50),
      p95S: percentile(delays, 95),
      plainP50S: percentile(plain, 50),
      plainP95S: percentile(plain, 95),
      tickS: result.durationMs / 1000,
      functionSecondsPerJob: result.durationMs / 1000 / (SCENES / PER_JOB),
    };
  } finally {
    await veo.close();
    await storage.close();
  }
}
