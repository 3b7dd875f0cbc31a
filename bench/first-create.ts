/**
 * Figure 9, time to Veo: from generate's 202 to the scene's create arriving at Veo. The real
 * POST /api/video/generate handler runs with its after-response work (startNow, as `waitUntil`
 * runs it on Vercel) against the Veo and Storage doubles, for jobs arriving at seeded moments
 * across a minute. Cron only (the engine before start-at-once) is the same arrivals waiting for
 * the next whole minute, plus the create latency of a real tick measured in the same run.
 */
import { POST as generate } from '../api/video/generate.js';
import { useBackgroundRunner } from '../lib/http/after-response.js';
import { useServices } from '../lib/services.js';
import { runTick } from '../lib/tick/run-tick.js';
import { startStorageWire } from '../tests/doubles/storage-wire.js';
import { startVeoWire } from '../tests/doubles/veo-wire.js';
import { seededRandom } from '../lib/random.js';
import { API_KEY, BUCKET, percentile, seedScenes, wiredServices, type Server } from './support.js';

const JOBS = 50;
/** Between two generates, so each start meets an idle server, as a professor's click would. */
const SPACING_MS = 150;

export interface FirstCreateResult {
  jobs: number;
  started: number;
  p50S: number;
  p95S: number;
  cronP50S: number;
  cronP95S: number;
  tickCreateP50S: number;
}

export async function firstCreate(server: Server): Promise<FirstCreateResult> {
  const { db } = await server.database('bench_first_create');
  const veo = await startVeoWire({ apiKey: API_KEY, mp4Header: true, videoSize: 64 * 1024, pollsUntilDone: 50 });
  const storage = await startStorageWire({ buckets: [{ id: BUCKET }], keepBytes: false });
  const pending: Array<Promise<void>> = [];
  try {
    const services = wiredServices(db, veo, storage, { MAX_IN_FLIGHT: '1000', QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0' });
    useServices(services);
    // The work runs at once, as waitUntil lets it; the bench awaits it before reading the times.
    useBackgroundRunner((_name, work) => {
      const running = work(new AbortController().signal);
      pending.push(running);
      return running;
    });
    const answered = new Map<string, number>();
    for (let i = 0; i < JOBS; i++) {
      const response = await generate(
        new Request('http://bench.local/api/video/generate', {
          method: 'POST',
          headers: { authorization: `Bearer ${storage.serviceKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ response: `Bench answer ${i}: the moon shines by the light of the sun.`, maxScenes: 1, durationSeconds: 4 }),
        }),
      );
      // The moment the answer exists, before reading its body: the start runs concurrently from here.
      const at = Date.now();
      if (response.status !== 202) throw new Error(`generate answered ${response.status}: ${await response.text()}`);
      answered.set(((await response.json()) as { jobId: string }).jobId, at);
      await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    await Promise.all(pending);
    const { rows } = await db.query<{ job_id: string; operation_name: string | null }>(`select job_id, operation_name from video_tasks where kind = 'veo_scene'`);
    const delays: number[] = [];
    for (const row of rows) {
      const created = row.operation_name ? veo.timing(row.operation_name)?.createdAt : undefined;
      const at = answered.get(row.job_id);
      if (created !== undefined && at !== undefined) delays.push(Math.max(0, created - at) / 1000);
    }

    // Cron only: a tick at the next whole minute takes the same number of waiting scenes.
    await db.query('delete from escalations');
    await seedScenes(db, JOBS, 1);
    const tickStart = Date.now();
    await runTick(services, { linger: false });
    const { rows: ticked } = await db.query<{ operation_name: string | null }>(`select operation_name from video_tasks where operation_name is not null`);
    const tickCreates = ticked.map((r) => (veo.timing(r.operation_name!)!.createdAt - tickStart) / 1000);
    const random = seededRandom(9);
    const cron = tickCreates.map((create) => 60 * (1 - random()) + create);
    return {
      jobs: JOBS,
      started: delays.length,
      p50S: percentile(delays, 50),
      p95S: percentile(delays, 95),
      cronP50S: percentile(cron, 50),
      cronP95S: percentile(cron, 95),
      tickCreateP50S: percentile(tickCreates, 50),
    };
  } finally {
    useBackgroundRunner(undefined);
    useServices(undefined);
    await veo.close();
    await storage.close();
  }
}
