/**
 * Figure 2, claim cost: the time to claim 100 due tasks with 10k, 100k and 1M finished rows in
 * the table (median and p95 of 20), beside two mature Postgres queues on the same server in the
 * same run: pg-boss `fetch` (batchSize 100) and graphile-worker's batch job fetch (the statement
 * its local queue runs). Then claim+complete throughput for all three.
 *
 * "Finished" means: this project's completed tasks; pg-boss's completed jobs (kept until their
 * retention passes); graphile-worker's permanently failed jobs (it deletes completed ones, so
 * failed jobs are the rows that pile up there).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { PgBoss } from 'pg-boss';
import { runMigrations } from 'graphile-worker';
import type { Db, DbClient } from '../lib/db/pool.js';
import { loadConfig } from '../lib/config.js';
import { applyOutcome } from '../lib/tasks/apply.js';
import { claimDue } from '../lib/tasks/claim.js';
import { median, percentile, seedScenes, type Server } from './support.js';

export const SIZES = [10_000, 100_000, 1_000_000];
const RUNS = 20;
const BATCH = 100;
const THROUGHPUT_JOBS = 5_000;

export interface ClaimRow {
  system: string;
  size: number;
  medianMs: number;
  p95Ms: number;
}

export interface ClaimResult {
  claims: ClaimRow[];
  throughput: Record<string, number>;
}

async function timeRuns(run: () => Promise<number>, reset: () => Promise<void>): Promise<{ medianMs: number; p95Ms: number }> {
  const times: number[] = [];
  // Two warm-up claims (plan caches, buffer cache), then the measured ones.
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now();
    const got = await run();
    const ms = performance.now() - t;
    if (got !== BATCH) throw new Error(`claimed ${got}, expected ${BATCH}`);
    if (i >= 2) times.push(ms);
    await reset();
  }
  return { medianMs: median(times), p95Ms: percentile(times, 95) };
}

// ---- this project -----------------------------------------------------------------------------

async function ours(db: Db): Promise<{ rows: ClaimRow[]; throughput: number }> {
  const now = () => new Date(Date.now() + 60_000);
  const jobs = await seedScenes(db, 1_000, 5);
  await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
  const rows: ClaimRow[] = [];
  // One holder job for the finished rows, positions after every due one.
  let filled = 0;
  for (const size of SIZES) {
    await db.query(
      `insert into video_tasks (job_id, position, kind, status, input, next_check_at, completed_at)
       select $1, 1000 + g, 'veo_scene', 'completed', '{"prompt":"done","text":"done","aspectRatio":"16:9","durationSeconds":4}'::jsonb, now() - interval '1 day', now()
         from generate_series($2::int, $3::int - 1) g`,
      [jobs[0], filled, size],
    );
    filled = size;
    await db.query('vacuum analyze video_tasks');
    const timed = await timeRuns(
      async () => (await claimDue(db, ['veo_scene'], { tickId: 'bench', now: now(), leaseSeconds: 60, limit: BATCH })).length,
      async () => void (await db.query(`update video_tasks set locked_until = null, locked_by = null where locked_by = 'bench'`)),
    );
    rows.push({ system: 'this project (claimDue)', size, ...timed });
  }

  // Claim + complete: each completion is one transaction with the job's bookkeeping (syncJob).
  await db.query(`delete from video_tasks where position >= 1000`);
  await db.query(`delete from video_jobs`);
  await seedScenes(db, THROUGHPUT_JOBS, 5);
  await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const t = performance.now();
  let done = 0;
  for (;;) {
    const claimed = await claimDue(db, ['veo_scene'], { tickId: 'bench', now: now(), leaseSeconds: 60, limit: BATCH });
    if (claimed.length === 0) break;
    // The tick applies outcomes from its 8 workers at once; do the same.
    const queue = [...claimed];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        await applyOutcome(db, task, { type: 'completed', output: { objectPath: 'x', url: 'http://x' } }, { tickId: 'bench', now: now(), config });
      }
    }));
    done += claimed.length;
  }
  const throughput = done / ((performance.now() - t) / 1000);
  return { rows, throughput };
}

// ---- pg-boss ----------------------------------------------------------------------------------

async function pgBoss(db: Db, url: string): Promise<{ rows: ClaimRow[]; throughput: number }> {
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', supervise: false, schedule: false, migrate: true, max: 4 });
  boss.on('error', () => undefined);
  await boss.start();
  const queue = 'bench';
  await boss.createQueue(queue);
  await boss.insert(queue, Array.from({ length: 1_000 }, (_, i) => ({ data: { i } })));
  const rows: ClaimRow[] = [];
  let filled = 0;
  for (const size of SIZES) {
    await db.query(
      `insert into pgboss.job (name, data, state, started_on, completed_on)
       select $1, '{}'::jsonb, 'completed', now(), now() from generate_series($2::int, $3::int - 1)`,
      [queue, filled, size],
    );
    filled = size;
    await db.query('vacuum analyze pgboss.job');
    const timed = await timeRuns(
      async () => (await boss.fetch(queue, { batchSize: BATCH })).length,
      async () => void (await db.query(`update pgboss.job set state = 'created', started_on = null where name = $1 and state = 'active'`, [queue])),
    );
    rows.push({ system: 'pg-boss 12 (fetch, batchSize 100)', size, ...timed });
  }

  await db.query(`delete from pgboss.job where name = $1`, [queue]);
  await boss.insert(queue, Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({ data: { i } })));
  const t = performance.now();
  let done = 0;
  for (;;) {
    const jobs = await boss.fetch(queue, { batchSize: BATCH });
    if (jobs.length === 0) break;
    await boss.complete(queue, jobs.map((j) => j.id));
    done += jobs.length;
  }
  const throughput = done / ((performance.now() - t) / 1000);
  await boss.stop({ graceful: false, close: true }).catch(() => undefined);
  return { rows, throughput };
}

// ---- graphile-worker --------------------------------------------------------------------------

type GetJobs = (o: unknown, w: unknown, tasks: Record<string, unknown>, poolId: string, flags: null, batch: number) => Promise<Array<{ id: string; job_queue_id: number | null }>>;
type CompleteJobs = (o: unknown, w: unknown, poolId: string, jobs: unknown[]) => Promise<void>;

/** Its batch fetch and batch complete are not exported; they are the statements its local queue runs. */
async function graphileInternals(): Promise<{ batchGetJobs: GetJobs; batchCompleteJobs: CompleteJobs }> {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('graphile-worker'));
  const get = (await import(pathToFileURL(path.join(dist, 'sql/getJobs.js')).href)) as { batchGetJobs: GetJobs };
  const complete = (await import(pathToFileURL(path.join(dist, 'sql/completeJobs.js')).href)) as { batchCompleteJobs: CompleteJobs };
  return { batchGetJobs: get.batchGetJobs, batchCompleteJobs: complete.batchCompleteJobs };
}

async function graphile(db: Db, url: string): Promise<{ rows: ClaimRow[]; throughput: number }> {
  await runMigrations({ connectionString: url, logger: undefined });
  const { batchGetJobs, batchCompleteJobs } = await graphileInternals();
  const options = {
    escapedWorkerSchema: '"graphile_worker"',
    workerSchema: 'graphile_worker',
    resolvedPreset: { worker: { preparedStatements: true, useNodeTime: false } },
    logger: { error: () => undefined },
  };
  const withPgClient = async <T>(fn: (client: DbClient) => Promise<T>): Promise<T> => {
    const client = await db.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };
  const enhanced = Object.assign(withPgClient, { withRetries: withPgClient });
  const tasks = { bench: () => undefined };
  const { rows: taskRows } = await db.query<{ id: number }>(
    `insert into graphile_worker._private_tasks (identifier) values ('bench') on conflict (identifier) do update set identifier = excluded.identifier returning id`,
  );
  const taskId = taskRows[0]!.id;
  const addDue = (n: number) =>
    db.query(`insert into graphile_worker._private_jobs (task_id, payload, run_at, max_attempts) select $1, '{}'::json, now() - interval '1 second', 25 from generate_series(1, $2)`, [taskId, n]);
  await addDue(1_000);
  const rows: ClaimRow[] = [];
  let filled = 0;
  for (const size of SIZES) {
    await db.query(
      `insert into graphile_worker._private_jobs (task_id, payload, run_at, attempts, max_attempts, last_error)
       select $1, '{}'::json, now() - interval '1 day', 25, 25, 'failed for good' from generate_series($2::int, $3::int - 1)`,
      [taskId, filled, size],
    );
    filled = size;
    await db.query('vacuum analyze graphile_worker._private_jobs');
    const timed = await timeRuns(
      async () => (await batchGetJobs(options, enhanced, tasks, 'bench', null, BATCH)).length,
      async () => void (await db.query(`update graphile_worker._private_jobs set locked_at = null, locked_by = null, attempts = 0 where locked_by = 'bench'`)),
    );
    rows.push({ system: 'graphile-worker 0.18 (batch get jobs)', size, ...timed });
  }

  await db.query(`delete from graphile_worker._private_jobs`);
  await addDue(THROUGHPUT_JOBS);
  await db.query('vacuum analyze graphile_worker._private_jobs');
  const t = performance.now();
  let done = 0;
  for (;;) {
    const jobs = await batchGetJobs(options, enhanced, tasks, 'bench', null, BATCH);
    if (jobs.length === 0) break;
    await batchCompleteJobs(options, withPgClient, 'bench', jobs);
    done += jobs.length;
  }
  return { rows, throughput: done / ((performance.now() - t) / 1000) };
}

export async function claimCost(server: Server): Promise<ClaimResult> {
  const a = await server.database('bench_claim_ours');
  const mine = await ours(a.db);
  const b = await server.database('bench_claim_pgboss');
  const boss = await pgBoss(b.db, b.url);
  const c = await server.database('bench_claim_graphile');
  const gw = await graphile(c.db, c.url);
  return {
    claims: [...mine.rows, ...boss.rows, ...gw.rows],
    throughput: { 'this project': mine.throughput, 'pg-boss': boss.throughput, 'graphile-worker': gw.throughput },
  };
}
