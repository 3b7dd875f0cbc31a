/**
 * Fairness and ETA accuracy, on simulated time (./queue-sim.ts) with the real claim and the real
 * job-view estimate.
 *
 * Fairness: professor A queues 20 jobs × 4 scenes, then (1 s later) professor B one 1-scene job;
 * MAX_IN_FLIGHT 4; every operation takes 60 s. B's wait (queued → started) and A's total time
 * (first queued → last scene done), with the fair-share claim and with the oldest-first claim it
 * replaced (installed under another name, ./fair-share-cost.ts).
 *
 * ETA accuracy: 100 jobs of 1–4 scenes from 10 professors, one every 25 s (6 of 8 slots busy on average), MAX_IN_FLIGHT 8,
 * operations lasting 20–100 s (seeded random). As each job is created, its estimatedCompletedAt
 * is read the way the job view computes it (lib/jobs/queue.ts, lib/jobs/eta.ts) and compared with
 * when its last scene actually ends. No final cut: the figure is about the queue and Veo.
 */
import { randomUUID } from 'node:crypto';
import { queueFieldsOf, readQueue, type QueueOptions } from '../lib/jobs/queue.js';
import { seededRandom } from '../lib/random.js';
import { installFifoClaim } from './fair-share-cost.js';
import { simulate, T0, type SimJob } from './queue-sim.js';
import type { Server } from './support.js';

export interface FairnessRow {
  order: string;
  bWaitS: number;
  aTotalS: number;
}

export interface FairShareResult {
  fairness: FairnessRow[];
  operationS: number;
  eta: { jobs: number; maeS: number; biasS: number; meanJobS: number; maxErrorS: number };
}

const OPERATION_S = 60;
/** One job every 25 s of 2.5 scenes of 60 s on average: 6 of the 8 slots busy on average. */
const ARRIVAL_S = 25;

async function fairness(server: Server): Promise<FairnessRow[]> {
  const a = randomUUID();
  const b = randomUUID();
  const jobs: SimJob[] = [
    ...Array.from({ length: 20 }, (_, i) => ({ owner: a, at: i * 0.01, durations: [OPERATION_S, OPERATION_S, OPERATION_S, OPERATION_S] })),
    { owner: b, at: 1, durations: [OPERATION_S] },
  ];
  const rows: FairnessRow[] = [];
  for (const [order, fn] of [['fair share', 'claim_startable_video_tasks'], ['oldest first (before)', 'fifo_claim_startable_video_tasks']] as const) {
    const { db } = await server.database(`bench_fairness_${fn.startsWith('fifo') ? 'fifo' : 'fair'}`);
    await installFifoClaim(db);
    const r = await simulate(db, jobs, { maxInFlight: 4, claimFunction: fn });
    const bJob = jobs.length - 1;
    rows.push({ order, bWaitS: r.starts[bJob]![0]! - jobs[bJob]!.at, aTotalS: Math.max(...r.ends.slice(0, bJob).flat()) });
  }
  return rows;
}

async function etaAccuracy(server: Server): Promise<FairShareResult['eta']> {
  const { db } = await server.database('bench_eta');
  // Seeded, so every run simulates the same jobs.
  const random = seededRandom(13);
  const professors = Array.from({ length: 10 }, () => randomUUID());
  const jobs: SimJob[] = Array.from({ length: 100 }, (_, i) => ({
    owner: professors[Math.floor(random() * professors.length)]!,
    at: i * ARRIVAL_S,
    durations: Array.from({ length: 1 + Math.floor(random() * 4) }, () => 20 + random() * 80),
  }));
  const queue: QueueOptions = { maxInFlight: 8, startKinds: ['veo_scene'] };
  const estimated: number[] = new Array(jobs.length);
  const r = await simulate(db, jobs, {
    maxInFlight: queue.maxInFlight,
    claimFunction: 'claim_startable_video_tasks',
    async onArrive(i, jobId, now) {
      const read = await readQueue(db, [jobId], { ...queue, now });
      const { rows } = await db.query(`select id, kind, status, started_at, locked_until from video_tasks where job_id = $1`, [jobId]);
      const fields = queueFieldsOf(read, queue, true, rows.map((t) => ({ id: t.id, kind: t.kind, status: t.status, startedAt: t.started_at, lockedUntil: t.locked_until })));
      estimated[i] = (Date.parse(fields.estimatedCompletedAt!) - T0) / 1000;
    },
  });
  const actual = r.ends.map((e) => Math.max(...e));
  const errors = actual.map((a, i) => Math.abs(a - estimated[i]!));
  return {
    jobs: jobs.length,
    maeS: errors.reduce((s, e) => s + e, 0) / errors.length,
    // Positive: jobs finished later than estimated.
    biasS: actual.reduce((s, a, i) => s + (a - estimated[i]!), 0) / actual.length,
    meanJobS: actual.reduce((s, a, i) => s + (a - jobs[i]!.at), 0) / actual.length,
    maxErrorS: Math.max(...errors),
  };
}

export async function fairShare(server: Server): Promise<FairShareResult> {
  return { fairness: await fairness(server), operationS: OPERATION_S, eta: await etaAccuracy(server) };
}
