/**
 * Figure 10, Luma notice latency with callbacks against polling: how long after Luma finishes a
 * generation the scene's video is recorded. 30 scenes on Luma (the real `lumaai` SDK against the
 * Luma double) finish 4–40 s after creation, on Luma's own clock. With callbacks, the double POSTs
 * each change to the real callback handler over HTTP, which polls that task at once; nothing else
 * runs. Without, one lingering tick polls them for its full minute with the usual backoff (figure
 * 3's best case; a plain per-minute tick is slower still).
 */
import { useServices } from '../lib/services.js';
import { startNow } from '../lib/tick/run-steps.js';
import { runTick } from '../lib/tick/run-tick.js';
import { startLumaWire } from '../tests/doubles/luma-wire.js';
import { startStorageWire } from '../tests/doubles/storage-wire.js';
import { serveApi } from '../tests/support/api-server.js';
import { BUCKET, percentile, seedScenes, wiredServices, type Server } from './support.js';

const SCENES = 30;
const FINISH_RANGE: [number, number] = [4_000, 40_000];

export interface LumaNoticeArm {
  noticed: number;
  p50S: number;
  p95S: number;
  maxS: number;
}

export interface LumaNoticeResult {
  scenes: number;
  callbacks: LumaNoticeArm;
  polling: LumaNoticeArm;
  callbacksDelivered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function arm(server: Server, withCallbacks: boolean): Promise<LumaNoticeArm & { delivered: number }> {
  const { db } = await server.database(`bench_luma_${withCallbacks ? 'callbacks' : 'polling'}`);
  const luma = await startLumaWire({ doneAfterMsRange: FINISH_RANGE });
  const storage = await startStorageWire({ buckets: [{ id: BUCKET }], keepBytes: false });
  const api = await serveApi();
  try {
    const services = wiredServices(db, { url: 'http://127.0.0.1:9' }, storage, {
      VIDEO_PROVIDER: 'luma',
      LUMA_API_KEY: luma.apiKey,
      LUMA_BASE_URL: luma.baseUrl,
      LUMA_CALLBACKS: String(withCallbacks),
      PUBLIC_BASE_URL: api.origin,
      CRON_SECRET: 'bench-cron-secret',
      MAX_IN_FLIGHT: '1000',
    });
    useServices(services);
    await seedScenes(db, SCENES, 5);
    // Luma makes 5 or 9 s clips; the seeded scenes ask for Veo's 4.
    await db.query(`update video_tasks set provider = 'luma', input = jsonb_set(input, '{durationSeconds}', '5')`);
    if (withCallbacks) {
      await startNow(services, { maxDurationMs: 60_000 });
      const until = Date.now() + FINISH_RANGE[1] + 20_000;
      while (Date.now() < until) {
        const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from video_tasks where status <> 'completed'`);
        if (rows[0]!.n === 0) break;
        await sleep(100);
      }
    } else {
      await runTick(services, { linger: true });
    }
    const { rows } = await db.query<{ operation_name: string; completed_at: Date | null }>(`select operation_name, completed_at from video_tasks where status = 'completed'`);
    const delays = rows.flatMap((r) => {
      const doneAt = luma.timing(r.operation_name)?.doneAt;
      return doneAt && r.completed_at ? [(r.completed_at.getTime() - doneAt) / 1000] : [];
    });
    return {
      noticed: delays.length,
      p50S: percentile(delays, 50),
      p95S: percentile(delays, 95),
      maxS: percentile(delays, 100),
      delivered: luma.callbacks.filter((c) => c.status === 200).length,
    };
  } finally {
    useServices(undefined);
    await api.close();
    await luma.close();
    await storage.close();
  }
}

export async function lumaNotice(server: Server): Promise<LumaNoticeResult> {
  const { delivered, ...callbacks } = await arm(server, true);
  const { delivered: _none, ...polling } = await arm(server, false);
  return { scenes: SCENES, callbacks, polling, callbacksDelivered: delivered };
}
