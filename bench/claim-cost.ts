/**
 * Figure 2, claim cost: the time to claim 100 due tasks with 10k, 100k and 1M finished rows in
 * the table (median and p95 of 30, after 5 warm-ups, the three systems interleaved run by run),
 * beside two mature Postgres queues on the same server in the
 * same run: pg-boss `fetch` (batchSize 100) and graphile-worker's batch job fetch (the statement
 * its local queue runs). Then claim+complete throughput for all three (median of three rounds).
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
import { claimDue } from '../lib/tasks/claim.js';
import type { TaskOutcome, TaskRow } from '../lib/tasks/types.js';
import { createBudget } from '../lib/tick/budget.js';
import { TaskFeed } from '../lib/tick/feed.js';
import { runSteps } from '../lib/tick/run-steps.js';
import { outcomeRecorder } from '../lib/tick/step.js';
import { median, percentile, seedScenes, type Server } from './support.js';

export const SIZES = [10_000, 100_000, 1_000_000];
const RUNS = 30;
const WARMUPS = 5;
const BATCH = 100;
const THROUGHPUT_JOBS = 5_000;
const THROUGHPUT_ROUNDS = 3;

export interface ClaimRow {
  system: string;
  size: number;
  medianMs: number;
  p95Ms: number;
}

export interface ClaimResult {
  claims: ClaimRow[];
  /** Median jobs/s per system, and each round's reading. */
  throughput: Record<string, number>;
  throughputRuns: Record<string, number[]>;
  /** video_jobs row updates per poll that found the operation still running (counted by a trigger). */
  jobWritesPerUnchangedPoll: number;
  unchangedPolls: number;
}

/** One system under test: its claim, how to undo it, how to add finished rows, its throughput. */
interface System {
  name: string;
  /** Adds finished rows until there are `to` (from `from`), then vacuums and analyzes. */
  grow: (from: number, to: number) => Promise<void>;
  claim: () => Promise<number>;
  reset: () => Promise<void>;
  throughput: () => Promise<number>;
  /** This project only: job-row writes per unchanged poll. */
  quietPolls?: () => Promise<{ writes: number; polls: number }>;
}

/**
 * Times the systems' claims interleaved (a, b, c, a, b, c, ...) rather than one system's runs
 * after another's: on a shared 2-core machine the background load drifts over seconds, and a
 * figure taken first or last would carry that drift into the comparison. Each system gets the
 * same warm-ups (plan caches, buffer cache, the JIT) before the measured runs.
 */
async function timeInterleaved(systems: System[]): Promise<Array<{ medianMs: number; p95Ms: number }>> {
  const times = systems.map((): number[] => []);
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    for (const [k, system] of systems.entries()) {
      const t = performance.now();
      const got = await system.claim();
      const ms = performance.now() - t;
      if (got !== BATCH) throw new Error(`${system.name} claimed ${got}, expected ${BATCH}`);
      if (i >= WARMUPS) times[k]!.push(ms);
      await system.reset();
    }
  }
  return times.map((t) => ({ medianMs: median(t), p95Ms: percentile(t, 95) }));
}

// ---- this project -----------------------------------------------------------------------------

async function ours(db: Db): Promise<System> {
  const now = () => new Date(Date.now() + 60_000);
  const jobs = await seedScenes(db, 1_000, 5);
  await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
  return {
    name: 'this project (claimDue)',
    // One holder job for the finished rows, positions after every due one.
    async grow(from, to) {
      await db.query(
        `insert into video_tasks (job_id, position, kind, status, input, next_check_at, completed_at)
         select $1, 1000 + g, 'veo_scene', 'completed', '{"prompt":"done","text":"done","aspectRatio":"16:9","durationSeconds":4}'::jsonb, now() - interval '1 day', now()
           from generate_series($2::int, $3::int - 1) g`,
        [jobs[0], from, to],
      );
      await db.query('vacuum analyze video_tasks');
    },
    claim: async () => (await claimDue(db, ['veo_scene'], { tickId: 'bench', now: now(), leaseSeconds: 60, limit: BATCH })).length,
    reset: async () => void (await db.query(`update video_tasks set locked_until = null, locked_by = null where locked_by = 'bench'`)),
    // Claim + complete through the tick's own parts: its feed (claimDue, 100 at a time), its
    // workers (TICK_CONCURRENCY) and its outcome recorder; only the step is a stand-in that
    // completes each task at once, so what is timed is the claim and the write of the outcomes.
    async throughput() {
      await reseed();
      const config = loadConfig({ LOG_LEVEL: 'silent', TICK_BATCH_SIZE: String(BATCH) });
      const services = { config, db } as Parameters<typeof runSteps>[0];
      const budget = createBudget({ maxMs: 600_000, requestTimeoutMs: config.REQUEST_TIMEOUT_MS });
      const feed = new TaskFeed<TaskRow>(
        { claimDue: (limit) => claimDue(db, ['veo_scene'], { tickId: 'bench', now: now(), leaseSeconds: 60, limit }) },
        { budget, batchSize: BATCH, concurrency: config.TICK_CONCURRENCY, linger: false, now },
      );
      const complete = async (): Promise<TaskOutcome> => ({ type: 'completed', output: { objectPath: 'x', url: 'http://x' } });
      const t = performance.now();
      try {
        const counts = await runSteps(services, feed, { budget, tickId: 'bench', now, advance: complete });
        if (counts.completed !== THROUGHPUT_JOBS) throw new Error(`completed ${counts.completed} of ${THROUGHPUT_JOBS}`);
        return counts.completed / ((performance.now() - t) / 1000);
      } finally {
        budget.dispose();
      }
    },
    // Every task polled once while its operation still runs; a trigger counts job-row updates.
    async quietPolls() {
      await reseed();
      await db.query(`
        create table if not exists bench_job_writes (job_id uuid);
        create or replace function bench_count_job_write() returns trigger language plpgsql as $f$
        begin insert into bench_job_writes values (new.id); return new; end $f$;
        drop trigger if exists bench_count_job_write on video_jobs;
        create trigger bench_count_job_write after update on video_jobs for each row execute function bench_count_job_write();
        truncate bench_job_writes;`);
      const config = loadConfig({ LOG_LEVEL: 'silent' });
      const recorder = outcomeRecorder({ config, db } as Parameters<typeof outcomeRecorder>[0], 'bench', now);
      let polls = 0;
      for (;;) {
        const claimed = await claimDue(db, ['veo_scene'], { tickId: 'bench', now: now(), leaseSeconds: 60, limit: BATCH });
        if (claimed.length === 0) break;
        const applied = await Promise.all(claimed.map((task) => recorder.record({ task, outcome: { type: 'waiting' }, began: now() })));
        polls += applied.filter((a) => a === 'polled').length;
        // Polled tasks come due again later than `now`: the loop ends once each was polled.
      }
      const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from bench_job_writes`);
      await db.query(`drop trigger bench_count_job_write on video_jobs`);
      return { writes: rows[0]!.n, polls };
    },
  };

  async function reseed() {
    await db.query(`delete from video_tasks where position >= 1000`);
    await db.query(`delete from video_jobs`);
    await seedScenes(db, THROUGHPUT_JOBS, 5);
    await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
    await db.query('vacuum analyze video_tasks');
  }
}

// ---- pg-boss ----------------------------------------------------------------------------------

async function pgBoss(db: Db, url: string): Promise<System & { stop: () => Promise<void> }> {
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', supervise: false, schedule: false, migrate: true, max: 4 });
  boss.on('error', () => undefined);
  await boss.start();
  const queue = 'bench';
  await boss.createQueue(queue);
  await boss.insert(queue, Array.from({ length: 1_000 }, (_, i) => ({ data: { i } })));
  return {
    name: 'pg-boss 12 (fetch, batchSize 100)',
    async grow(from, to) {
      await db.query(
        `insert into pgboss.job (name, data, state, started_on, completed_on)
         select $1, '{}'::jsonb, 'completed', now(), now() from generate_series($2::int, $3::int - 1)`,
        [queue, from, to],
      );
      await db.query('vacuum analyze pgboss.job');
    },
    claim: async () => (await boss.fetch(queue, { batchSize: BATCH })).length,
    reset: async () => void (await db.query(`update pgboss.job set state = 'created', started_on = null where name = $1 and state = 'active'`, [queue])),
    async throughput() {
      await db.query(`delete from pgboss.job where name = $1`, [queue]);
      await boss.insert(queue, Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({ data: { i } })));
      await db.query('vacuum analyze pgboss.job');
      const t = performance.now();
      let done = 0;
      for (;;) {
        const jobs = await boss.fetch(queue, { batchSize: BATCH });
        if (jobs.length === 0) break;
        await boss.complete(queue, jobs.map((j) => j.id));
        done += jobs.length;
      }
      return done / ((performance.now() - t) / 1000);
    },
    stop: () => boss.stop({ graceful: false, close: true }).catch(() => undefined),
  };
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

async function graphile(db: Db, url: string): Promise<System> {
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
  return {
    name: 'graphile-worker 0.18 (batch get jobs)',
    async grow(from, to) {
      await db.query(
        `insert into graphile_worker._private_jobs (task_id, payload, run_at, attempts, max_attempts, last_error)
         select $1, '{}'::json, now() - interval '1 day', 25, 25, 'failed for good' from generate_series($2::int, $3::int - 1)`,
        [taskId, from, to],
      );
      await db.query('vacuum analyze graphile_worker._private_jobs');
    },
    claim: async () => (await batchGetJobs(options, enhanced, tasks, 'bench', null, BATCH)).length,
    reset: async () => void (await db.query(`update graphile_worker._private_jobs set locked_at = null, locked_by = null, attempts = 0 where locked_by = 'bench'`)),
    async throughput() {
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
      return done / ((performance.now() - t) / 1000);
    },
  };
}

export async function claimCost(server: Server): Promise<ClaimResult> {
  const a = await server.database('bench_claim_ours');
  const b = await server.database('bench_claim_pgboss');
  const c = await server.database('bench_claim_graphile');
  const boss = await pgBoss(b.db, b.url);
  const systems = [await ours(a.db), boss, await graphile(c.db, c.url)];
  const claims: ClaimRow[] = [];
  let filled = 0;
  for (const size of SIZES) {
    for (const system of systems) await system.grow(filled, size);
    filled = size;
    // Writing out the rows just added is the server's background work, not any system's claim:
    // done now, it does not land on whichever claims happen to run while it flushes.
    await a.db.query('checkpoint');
    const timed = await timeInterleaved(systems);
    systems.forEach((system, k) => claims.push({ system: system.name, size, ...timed[k]! }));
  }
  // Throughput one system at a time (each saturates the server on its own), in rounds that take
  // the three in turn, so drifting load on the shared machine hits all of them; median per system.
  const labels = ['this project', 'pg-boss', 'graphile-worker'];
  const rates = systems.map((): number[] => []);
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const [k, system] of systems.entries()) rates[k]!.push(await system.throughput());
  }
  const throughput = Object.fromEntries(labels.map((label, k) => [label, median(rates[k]!)]));
  const throughputRuns = Object.fromEntries(labels.map((label, k) => [label, rates[k]!]));
  await boss.stop();
  const quiet = await systems[0]!.quietPolls!();
  return { claims, throughput, throughputRuns, jobWritesPerUnchangedPoll: quiet.polls > 0 ? quiet.writes / quiet.polls : NaN, unchangedPolls: quiet.polls };
}
