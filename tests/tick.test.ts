/**
 * The tick's promises, one at a time, on the production path: real `@google/genai` against the
 * Veo wire double, real `@supabase/supabase-js` against the Storage API double, real Postgres.
 * Veo creates are counted on the double's side, stored objects on the storage double's side.
 */
import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beginTransfer } from '../lib/tasks/transfer.js';
import { releaseLeases } from '../lib/tasks/apply.js';
import { claimDue } from '../lib/tasks/claim.js';
import { TASK_COLUMNS } from '../lib/tasks/types.js';
import { runTick, type TickOptions, type TickResult } from '../lib/tick/run-tick.js';
import { testClock, type Clock } from './support/ticks.js';
import { mortalDb, seedJobs, startWired, taskCounts, type Wired } from './support/wired.js';

const ENV = {
  LEASE_SECONDS: '60',
  TICK_MAX_DURATION_SECONDS: '30',
  MAX_IN_FLIGHT: '50',
  MAX_ATTEMPTS: '3',
  POLL_MIN_SECONDS: '5',
  POLL_MAX_SECONDS: '40',
};

let w: Wired;
let clock: Clock;

beforeAll(async () => {
  w = await startWired('tick', ENV);
});
afterAll(() => w.close());

beforeEach(async () => {
  w.reconfigure();
  w.veo.setBehavior({ outcome: 'video', pollsUntilDone: 2, failDownloads: false, script: [], doneAfterMs: undefined, chaos: undefined });
  w.storage.setBehavior({ uploadFailureRate: 0, latencyMs: 0 });
  // Each test starts from an empty queue, so counts on the doubles are this test's own.
  await w.services.db.query('delete from escalations');
  w.storage.objects.clear();
  // A little ahead of the database's now(), so freshly seeded tasks are already due.
  clock = testClock(Date.now() + 5_000);
});

function tick(extra: TickOptions = {}): Promise<TickResult> {
  return runTick(w.services, { now: clock.now, random: () => 0.5, linger: false, ...extra });
}

/** Ticks a minute apart until nothing is active; returns how many ticks it took. */
async function drain(max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await tick();
    const c = await taskCounts(w.services.db);
    if (c.pending + c.processing === 0) return i;
    clock.advance(61_000);
  }
  throw new Error(`still active after ${max} ticks`);
}

/** The job's Veo scenes (a video job also has a render task after them). */
async function tasksOf(jobId: string) {
  const { rows } = await w.services.db.query(`select * from video_tasks where job_id = $1 and kind = 'veo_scene' order by position`, [jobId]);
  return rows;
}

/** Stored scene clips (the render adds final.mp4, poster.jpg and final.json beside them). */
const sceneObjects = () => [...w.storage.objects.entries()].filter(([key]) => /\/scene-\d+\.mp4$/.test(key)).map(([, o]) => o);

const createsSince = (before: number) => w.veo.creates.length - before;

/** Resolves once `condition` holds, checked every few ms: a test acts on what happened, not after a guessed delay. */
async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether some session is waiting for a lock that the session `pid` holds. */
async function blocks(pid: number): Promise<boolean> {
  const { rows } = await w.services.db.query(`select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))`, [pid]);
  return rows[0].n > 0;
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

/** Every node of an `explain (format json)` plan, flattened. */
function planNodes(explained: unknown): PlanNode[] {
  const out: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    out.push(n);
    for (const child of n.Plans ?? []) walk(child);
  };
  walk((explained as Array<{ Plan: PlanNode }>)[0]!.Plan);
  return out;
}

describe('tick on the real @google/genai and @supabase/supabase-js clients against the wire doubles', () => {
  it('two overlapping ticks never double-create: exactly one Veo create per scene', async () => {
    w.reconfigure({ TICK_BATCH_SIZE: '3' });
    const jobs = await seedJobs(w.services, 4);
    const scenes = (await taskCounts(w.services.db, 'veo_scene')).pending;
    // Slow creates keep both ticks inside their claims at the same time.
    w.veo.setBehavior({ chaos: { seed: 3, routes: ['create'], p429: 0, p500: 0, pSlow: 1, slowMs: 40, pHang: 0 } });
    const before = w.veo.creates.length;
    const [a, b] = await Promise.all([tick(), tick()]);
    expect(a.created + b.created).toBe(scenes);
    expect(a.created).toBeGreaterThan(0);
    expect(b.created).toBeGreaterThan(0);
    w.veo.setBehavior({ chaos: undefined });
    await drain();
    expect(createsSince(before)).toBe(scenes);
    const prompts = w.veo.creates.slice(before).map((c) => JSON.stringify(c.body));
    expect(new Set(prompts).size).toBe(scenes);
    for (const job of jobs) for (const t of await tasksOf(job)) expect(t.status).toBe('completed');
    expect(sceneObjects().length).toBe(scenes);
  });

  it('without lingering, a tick still polls the operation it just started and follows what that makes due', async () => {
    w.veo.setBehavior({ pollsUntilDone: 1 });
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    const result = await tick();
    // One worker started the scene; the others, idle, were woken by that step's record and
    // claimed the operation at once (it is due as soon as it exists), rather than ending the tick.
    expect(result).toMatchObject({ created: 1, completed: 2, failed: 0, stoppedBecause: 'idle' });
    // The scene's video, then the job's final cut (its render woke when the scene was stored).
    expect(result.uploaded).toBe(2);
    const [scene] = await tasksOf(job!);
    expect(scene).toMatchObject({ status: 'completed', polls: 0 });
    expect(w.veo.requests.poll).toBeGreaterThanOrEqual(1);
  });

  it('a tick killed mid-download leaves its leases; the next tick skips them until they expire, then resumes', async () => {
    const before = w.veo.creates.length;
    // A scene whose operation is running when its tick dies mid-download.
    const [victim] = await seedJobs(w.services, 1, { scenes: 1 });
    await tick(); // create + the immediate first poll: not done yet
    expect((await tasksOf(victim!))[0].status).toBe('processing');
    clock.advance(61_000);
    w.veo.setBehavior({ script: [{ route: 'download', delayMs: 300 }] });
    const mortal = mortalDb(w.app.database.db);
    const doomed = w.reconfigure({}, mortal.db);
    const killer = new AbortController();
    const downloads = w.veo.requests.download;
    const dying = runTick(doomed, { now: clock.now, random: () => 0.5, linger: false, signal: killer.signal, tickId: 'dead-tick' });
    // Killed once the download is on the wire (the double holds it 300 ms), however long the
    // tick took to get there: a fixed wait could land before the claim on a loaded machine.
    await until(() => w.veo.requests.download > downloads, 'the download to reach Veo');
    mortal.kill();
    killer.abort(new Error('process killed'));
    await dying.catch(() => undefined);
    w.reconfigure();

    const [left] = await tasksOf(victim!);
    expect(left).toMatchObject({ status: 'processing', locked_by: 'dead-tick', attempts: 0 });
    expect(left.locked_until.getTime()).toBeGreaterThan(clock.now().getTime());
    const blocked = await tick();
    expect(blocked.polled + blocked.completed).toBe(0);
    clock.advance(61_000); // past LEASE_SECONDS
    const resumed = await tick();
    expect(resumed.completed).toBeGreaterThanOrEqual(1); // the scene, then its render
    const [done] = await tasksOf(victim!);
    expect(done).toMatchObject({ status: 'completed', locked_by: null });
    expect(createsSince(before)).toBe(1);
    expect(sceneObjects().length).toBe(1);
    expect(sceneObjects()[0]!.writes).toBe(1);
  });

  /** A scene whose tick dies after its upload landed, while the URL is signed: the outcome is never written. */
  async function killAfterUpload(): Promise<string> {
    const [victim] = await seedJobs(w.services, 1, { scenes: 1 });
    await tick(); // create + the immediate first poll: not done yet
    clock.advance(61_000);
    const mortal = mortalDb(w.app.database.db);
    const doomed = w.reconfigure({}, mortal.db);
    const store = doomed.store;
    await runTick(
      { ...doomed, store: { ...store, url: (path, ttl) => (mortal.kill(), store.url(path, ttl)) } },
      { now: clock.now, random: () => 0.5, linger: false, tickId: 'dead-after-upload' },
    ).catch(() => undefined);
    w.reconfigure();
    expect((await tasksOf(victim!))[0]).toMatchObject({ status: 'processing', locked_by: 'dead-after-upload', attempts: 0, transfer_started: true });
    expect(sceneObjects().map((o) => o.writes)).toEqual([1]);
    clock.advance(61_000); // past LEASE_SECONDS
    return victim!;
  }

  it('a tick killed after the upload but before recording it: the next tick finishes the scene from the stored video', async () => {
    const victim = await killAfterUpload();
    await tick();
    const [done] = await tasksOf(victim);
    expect(done).toMatchObject({ status: 'completed', locked_by: null, transfer_started: false });
    expect(done.output).toMatchObject({ resumed: true, objectPath: expect.stringMatching(/scene-01\.mp4$/) });
    expect(sceneObjects().map((o) => o.writes)).toEqual([1]);
  });

  it('…and when Veo has forgotten the operation by then (404), the stored video still finishes the scene', async () => {
    const victim = await killAfterUpload();
    w.veo.setBehavior({ script: [{ route: 'poll', status: 404 }] });
    await tick();
    const [done] = await tasksOf(victim);
    expect(done).toMatchObject({ status: 'completed', transfer_started: false });
    expect(done.output).toMatchObject({ resumed: true });
    expect(sceneObjects().map((o) => o.writes)).toEqual([1]);
  });

  it('a cancel committing while the scene marks its transfer wins: nothing is reported active', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    const db = w.services.db;
    const [task] = await tasksOf(job!);
    await db.query(`update video_tasks set status = 'processing', locked_by = 'marking', locked_until = now() + interval '1 minute' where id = $1`, [task.id]);
    const canceler = await db.connect();
    try {
      const { pid } = (await canceler.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!;
      await canceler.query('begin');
      await canceler.query('select 1 from video_jobs where id = $1 for update', [job]);
      await canceler.query(`update video_tasks set status = 'canceled', locked_by = null, locked_until = null where job_id = $1`, [job]);
      await canceler.query(`update video_jobs set status = 'canceled' where id = $1`, [job]);
      const marking = beginTransfer(db, task.id, 'marking');
      // The mark is waiting for the cancel's row lock when the cancel commits (after a fixed
      // wait it might not have reached the row yet, and would only see the commit).
      await until(() => blocks(pid), 'the mark to wait for the cancel');
      await canceler.query('commit');
      expect(await marking).toEqual({ active: false, cutOff: false });
    } finally {
      canceler.release();
    }
    expect((await tasksOf(job!))[0]).toMatchObject({ status: 'canceled', transfer_started: false });
  });

  it('a tick aborted through its signal while a create is on the wire still records that operation', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    w.veo.setBehavior({ script: [{ route: 'create', delayMs: 250 }] });
    const before = w.veo.creates.length;
    const abort = new AbortController();
    const requested = w.veo.requests.create;
    const ticking = tick({ signal: abort.signal });
    // Aborted once the create is on the wire (the double holds it 250 ms), not after a fixed
    // 50 ms the tick may not have reached it in.
    await until(() => w.veo.requests.create > requested, 'the create to reach Veo');
    abort.abort(new Error('shutdown'));
    const result = await ticking;
    expect(result.stoppedBecause).toBe('aborted');
    expect(result.created).toBe(1);
    const [t] = await tasksOf(job!);
    expect(t).toMatchObject({ status: 'processing', locked_by: null });
    expect(t.operation_name).toMatch(/\/operations\/op-\d+$/);
    await drain();
    expect(createsSince(before)).toBe(1);
  });

  it('a scene whose keyframe read ends past the last moment to start paid work is given back, not created late', async () => {
    const { jobId, scenes } = await w.generateJob({ keyframes: true });
    // First tick: the stills are made and stored; each scene's create is refused once (503).
    w.veo.setBehavior({ script: Array.from({ length: scenes }, () => ({ route: 'create' as const, status: 503 })) });
    await tick();
    expect((await tasksOf(jobId)).map((t) => [t.status, t.attempts, t.operation_name])).toEqual(Array.from({ length: scenes }, () => ['pending', 1, null]));

    // Hard stop at 4 s, and a create may take 3 s: none may start after 1 s. Reading a keyframe takes 1.5 s.
    clock.advance(61_000);
    w.reconfigure({ REQUEST_TIMEOUT_MS: '3000' });
    w.storage.setBehavior({ latencyMs: 1500 });
    const before = w.veo.creates.length;
    const late = await tick({ maxDurationMs: 5_000 });
    expect(createsSince(before)).toBe(0);
    expect(late).toMatchObject({ created: 0, released: scenes, retried: 0, failed: 0 });
    expect((await tasksOf(jobId)).map((t) => [t.status, t.attempts, t.locked_by])).toEqual(Array.from({ length: scenes }, () => ['pending', 1, null]));

    w.storage.setBehavior({ latencyMs: 0 });
    clock.advance(61_000);
    await drain();
    expect(createsSince(before)).toBe(scenes);
    expect((await tasksOf(jobId)).every((t) => t.status === 'completed')).toBe(true);
  });

  it('a claim still running when the tick ends is waited for, and what it leased is given back', async () => {
    await seedJobs(w.services, 1, { scenes: 4 });
    // Once the first scenes are claimed, every claim reaches the database 400 ms late.
    let firstClaimed = false;
    let lateClaims = 0;
    const db = w.services.db;
    const slow = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: unknown[]) => {
          const claim = /claim_(due|startable)_video_tasks/.exec(String(args[0]));
          if (claim && firstClaimed) {
            lateClaims++;
            await new Promise((r) => setTimeout(r, 400));
          }
          const result = await (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (claim?.[1] === 'startable') firstClaimed = true;
          return result;
        };
      },
    });
    w.reconfigure({ TICK_CONCURRENCY: '2', TICK_BATCH_SIZE: '2' }, slow);
    w.veo.setBehavior({ script: [{ route: 'create', delayMs: 300 }, { route: 'create', delayMs: 300 }] });
    const abort = new AbortController();
    const tickId = 'tick-ending-mid-claim';
    const requested = w.veo.requests.create;
    const ticking = tick({ signal: abort.signal, tickId });
    // The tick ends once a late claim is held back (400 ms per claim) and a create is on the wire
    // (300 ms), rather than after a fixed 150 ms that a loaded machine may reach neither in.
    await until(() => lateClaims > 0 && w.veo.requests.create > requested, 'a late claim and a create in flight');
    abort.abort(new Error('shutdown'));
    const result = await ticking;
    expect(result.stoppedBecause).toBe('aborted');
    expect(result.created).toBeGreaterThan(0);
    // Whatever that late claim took, this tick has given back by the time it returns.
    const held = async () => (await db.query(`select count(*)::int as n from video_tasks where locked_by = $1`, [tickId])).rows[0].n;
    expect(await held()).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await held()).toBe(0);
  });

  it('a tick removes render and variation folders left in /tmp longer than any tick runs, and only those', async () => {
    const stamp = `${process.pid}-${Date.now()}`;
    const stale = path.join(os.tmpdir(), `explainer-work-render-stale-${stamp}`);
    const fresh = path.join(os.tmpdir(), `explainer-work-variation-fresh-${stamp}`);
    const foreign = path.join(os.tmpdir(), `someone-else-${stamp}`);
    for (const dir of [stale, fresh, foreign]) await mkdir(dir, { recursive: true });
    await writeFile(path.join(stale, 'final.mp4'), 'left over');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    await utimes(foreign, twoHoursAgo, twoHoursAgo);
    try {
      await tick();
      const exists = (dir: string) => stat(dir).then(() => true, () => false);
      expect([await exists(stale), await exists(fresh), await exists(foreign)]).toEqual([false, true, true]);
    } finally {
      for (const dir of [stale, fresh, foreign]) await rm(dir, { recursive: true, force: true });
    }
  });

  it('giving leases back takes the job lock first, so it never deadlocks with a cancel locking the same tasks', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 2 });
    const db = w.services.db;
    const tickId = 'tick-releasing';
    const { rows } = await db.query<{ id: string }>(
      `update video_tasks set locked_by = $2, locked_until = now() + interval '1 minute' where job_id = $1 and kind = 'veo_scene' returning id`,
      [job, tickId],
    );
    // In the order a plain update of both reaches them (the table's, for so few rows).
    const { rows: ordered } = await db.query<{ id: string }>(`select id from video_tasks where id = any($1) order by ctid`, [rows.map((r) => r.id)]);
    const [first, second] = ordered.map((r) => r.id);
    // Another writer in the codebase's order: the job, then its tasks, the last one first.
    const other = await db.connect();
    try {
      const { pid } = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!;
      await other.query('begin');
      await other.query('select 1 from video_jobs where id = $1 for update', [job]);
      await other.query('update video_tasks set polls = polls where id = $1', [second]);
      const releasing = releaseLeases(db, tickId, [first!, second!]);
      // The release is waiting on this writer before it goes on (after a fixed wait it might not
      // have started yet, and would only run once this writer committed).
      await until(() => blocks(pid), 'the release to wait for the other writer');
      // Had the release locked `first` and then waited for `second`, this would deadlock.
      await other.query('update video_tasks set polls = polls where id = $1', [first]);
      await other.query('commit');
      await releasing;
    } finally {
      other.release();
    }
    const { rows: after } = await db.query(`select locked_by from video_tasks where id = any($1)`, [[first, second]]);
    expect(after.map((r) => r.locked_by)).toEqual([null, null]);
  });

  it('a tick aborted mid-download gives its lease back without spending an attempt', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    await tick();
    clock.advance(61_000);
    w.veo.setBehavior({ script: [{ route: 'download', delayMs: 400 }] });
    const abort = new AbortController();
    const downloads = w.veo.requests.download;
    const ticking = tick({ signal: abort.signal });
    // Aborted once the download is on the wire (the double holds it 400 ms).
    await until(() => w.veo.requests.download > downloads, 'the download to reach Veo');
    abort.abort(new Error('shutdown'));
    const result = await ticking;
    // The scene is given back; so is the final cut when the tick had it in hand too (it waits for
    // the scene, and whether the abort lands before its look is a matter of timing).
    expect(result).toMatchObject({ stoppedBecause: 'aborted', retried: 0, completed: 0 });
    expect(result.released).toBeGreaterThanOrEqual(1);
    const [t] = await tasksOf(job!);
    expect(t).toMatchObject({ status: 'processing', locked_by: null, locked_until: null, attempts: 0 });
    const { rows: held } = await w.services.db.query(`select kind from video_tasks where job_id = $1 and locked_by is not null`, [job]);
    expect(held).toEqual([]);
    await tick();
    expect((await tasksOf(job!))[0]).toMatchObject({ status: 'completed', attempts: 0 });
  });

  it('the in-flight cap holds across concurrent ticks: pending scenes wait for room instead of failing', async () => {
    w.reconfigure({ MAX_IN_FLIGHT: '3' });
    await seedJobs(w.services, 4); // 1 + 3 + 5 + 2 = 11 scenes
    const scenes = (await taskCounts(w.services.db, 'veo_scene')).pending;
    w.veo.setBehavior({ pollsUntilDone: 3, chaos: { seed: 5, routes: ['create'], p429: 0, p500: 0, pSlow: 1, slowMs: 30, pHang: 0 } });
    const before = w.veo.creates.length;
    await Promise.all([tick(), tick(), tick(), tick()]);
    expect(createsSince(before)).toBe(3);
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      const results = await Promise.all([tick(), tick(), tick()]);
      const c = await taskCounts(w.services.db, 'veo_scene');
      peak = Math.max(peak, c.processing);
      expect(c.processing).toBeLessThanOrEqual(3);
      if (c.pending + c.processing === 0) break;
      expect(results.every((r) => r.failed === 0)).toBe(true);
      clock.advance(61_000);
    }
    const c = await taskCounts(w.services.db, 'veo_scene');
    expect(c).toMatchObject({ pending: 0, processing: 0, completed: scenes, failed: 0 });
    expect(peak).toBe(3);
    expect(createsSince(before)).toBe(scenes);
  });

  it('429 and 5xx are retried with growing backoff; the scene fails after MAX_ATTEMPTS with the reason', async () => {
    const [ok] = await seedJobs(w.services, 1, { scenes: 1 });
    w.veo.setBehavior({ script: [{ route: 'create', status: 429 }, { route: 'create', status: 503 }] });
    const first = await tick();
    expect(first.retried).toBe(1);
    const [afterOne] = await tasksOf(ok!);
    expect(afterOne).toMatchObject({ status: 'pending', attempts: 1, error_code: 'rate_limited' });
    expect(afterOne.next_check_at.getTime() - clock.now().getTime()).toBe(5_000);
    clock.advance(5_000);
    await tick();
    const [afterTwo] = await tasksOf(ok!);
    expect(afterTwo).toMatchObject({ status: 'pending', attempts: 2, error_code: 'provider_unavailable' });
    expect(afterTwo.next_check_at.getTime() - clock.now().getTime()).toBe(10_000);
    await drain();
    expect((await tasksOf(ok!))[0]).toMatchObject({ status: 'completed', attempts: 0 });

    const [doomed] = await seedJobs(w.services, 1, { scenes: 1 });
    const requestsBefore = w.veo.requests.create;
    w.veo.setBehavior({ chaos: { seed: 9, routes: ['create'], p429: 1, p500: 0, pSlow: 0, slowMs: 0, pHang: 0 } });
    await drain();
    expect(w.veo.requests.create - requestsBefore).toBe(3);
    const [failed] = await tasksOf(doomed!);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, error_code: 'rate_limited' });
    expect(failed.error).toMatch(/^Gave up after 3 attempts: Veo start failed \(HTTP 429\)/);
    const { rows } = await w.services.db.query(`select status, error from video_jobs where id = $1`, [doomed]);
    expect(rows[0].status).toBe('failed');
    expect(rows[0].error).toMatch(/^Scene 1: Gave up after 3 attempts/);
  });

  it('a 4xx request error fails the scene at once, with one request and no retry', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    const before = w.veo.requests.create;
    w.veo.setBehavior({ script: [{ route: 'create', status: 400 }] });
    const result = await tick();
    expect(result).toMatchObject({ retried: 0, created: 0 });
    expect(result.failed).toBeGreaterThanOrEqual(1); // the scene, then its render (nothing to cut)
    expect(w.veo.requests.create - before).toBe(1);
    const [t] = await tasksOf(job!);
    expect(t).toMatchObject({ status: 'failed', error_code: 'provider_rejected' });
    expect(t.error).toMatch(/HTTP 400/);
  });

  it('a safety-filtered scene fails with the reason in plain words while the others complete', async () => {
    w.reconfigure({ MAX_IN_FLIGHT: '1' });
    const [job] = await seedJobs(w.services, 1, { scenes: 3 });
    await tick(); // scene 1 created, not done yet; no room for the others
    w.veo.setBehavior({ outcome: 'safety', safetyReasons: ['The prompt mentions a real person.'] });
    clock.advance(61_000);
    await tick(); // scene 1 comes back blocked; scene 2 starts
    w.veo.setBehavior({ outcome: 'video' });
    await drain();
    const tasks = await tasksOf(job!);
    expect(tasks.map((t) => t.status)).toEqual(['failed', 'completed', 'completed']);
    expect(tasks[0]).toMatchObject({ error_code: 'safety_filtered', error: "Veo's safety filter blocked the video: The prompt mentions a real person." });
    const { rows } = await w.services.db.query(
      `select j.status, j.error, e.video_generation_status, e.video_url from video_jobs j join escalations e on e.id = j.escalation_id where j.id = $1`,
      [job],
    );
    expect(rows[0]).toMatchObject({ status: 'completed', video_generation_status: 'completed' });
    expect(rows[0].error).toMatch(/^Scene 1: Veo's safety filter blocked the video: The prompt mentions a real person\./);
    expect(rows[0].video_url).toMatch(/^http/);
    expect(sceneObjects().length).toBe(2);
  });

  it('a scene past its deadline fails as "timed out" and the job follows; nothing is left processing', async () => {
    w.reconfigure({ TASK_DEADLINE_MINUTES: '2' });
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    w.veo.setBehavior({ pollsUntilDone: 1_000 });
    await tick();
    expect((await tasksOf(job!))[0].status).toBe('processing');
    clock.advance(61_000);
    expect((await tick()).expired).toBe(0);
    clock.advance(61_000);
    const late = await tick();
    expect(late.expired).toBe(1);
    const [t] = await tasksOf(job!);
    expect(t).toMatchObject({ status: 'failed', error_code: 'timed_out', error: 'Timed out: the video was not ready before the scene deadline' });
    const { rows } = await w.services.db.query(`select status, error from video_jobs where id = $1`, [job]);
    expect(rows[0].status).toBe('failed');
    expect(rows[0].error).toMatch(/^Scene 1: Timed out: the video was not ready before the scene deadline/);
  });

  it('a download over MAX_DOWNLOAD_MB or not a video is refused, and nothing is stored', async () => {
    const big = await startWired('tick-big', ENV, { veo: { videoSize: 3 * 1024 * 1024 } });
    const odd = await startWired('tick-odd', ENV, { veo: { mp4Header: false } });
    try {
      for (const [rig, code, message] of [
        [big, 'too_large', /larger than the 1 MB limit/],
        [odd, 'not_a_video', /not an MP4 video/],
      ] as const) {
        rig.reconfigure({ MAX_DOWNLOAD_MB: '1' });
        const [job] = await seedJobs(rig.services, 1, { scenes: 1 });
        const c = testClock(Date.now() + 5_000);
        for (let i = 0; i < 5; i++) {
          await runTick(rig.services, { now: c.now, random: () => 0.5, linger: false });
          c.advance(61_000);
        }
        const { rows } = await rig.services.db.query(`select status, error_code, error from video_tasks where job_id = $1`, [job]);
        expect(rows[0]).toMatchObject({ status: 'failed', error_code: code });
        expect(rows[0].error).toMatch(message);
        expect(rig.storage.objects.size).toBe(0);
        expect(rig.veo.requests.download).toBe(1);
      }
    } finally {
      await big.close();
      await odd.close();
    }
  });

  it('only due rows are read: the claim walks the partial index of active rows, not the finished ones, on custom and cached plans', async () => {
    const db = w.services.db;
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    await db.query(
      `insert into video_tasks (job_id, position, kind, status, input, next_check_at)
       select $1, g, 'veo_scene', case when g % 2 = 0 then 'completed' else 'failed' end, '{}'::jsonb, $2
         from generate_series(100, 30099) g`,
      [job, clock.now()],
    );
    await db.query('analyze video_tasks');
    // The claim runs inside a PL/pgSQL function, which EXPLAIN cannot see into; auto_explain
    // logs the plan of each statement nested in it, and client_min_messages hands that log to us.
    for (const planCacheMode of ['force_custom_plan', 'force_generic_plan']) {
      const client = await db.connect();
      const logged: string[] = [];
      const onNotice = (notice: { message?: string }) => logged.push(notice.message ?? '');
      client.on('notice', onNotice);
      try {
        await client.query('begin');
        await client.query(`load 'auto_explain'`);
        for (const [name, value] of [['auto_explain.log_min_duration', '0'], ['auto_explain.log_analyze', 'on'], ['auto_explain.log_nested_statements', 'on'],
          ['auto_explain.log_format', 'json'], ['client_min_messages', 'log'], ['plan_cache_mode', planCacheMode]]) {
          await client.query(`select set_config($1, $2, true)`, [name, value]);
        }
        const claimed = await claimDue(client, ['veo_scene'], { tickId: 'explain', now: clock.now(), leaseSeconds: 60, limit: 100 });
        // The job's render is due (no provider); its scene is a pending start, left to claimStartable.
        expect(claimed.map((t) => t.kind)).toEqual(['render']);
        const plans = logged.filter((m) => m.includes('"Query Text"')).map((m) => JSON.parse(m.slice(m.indexOf('{'))) as { 'Query Text': string; Plan: PlanNode });
        const inner = plans.find((p) => p['Query Text'].includes('for update skip locked'));
        expect(inner, `${planCacheMode}: no plan logged for the claim's statement`).toBeDefined();
        const nodes = planNodes([inner]);
        const scans = nodes.filter((n) => n['Relation Name'] === 'video_tasks' && String(n['Node Type']).includes('Scan'));
        // The due rows come from the partial index; the update then finds each locked row by its ctid.
        expect(scans.map((n) => n['Index Name'] ?? n['Node Type']).sort(), planCacheMode).toEqual(['Tid Scan', 'video_tasks_due_idx']);
        // Every node touched at most the one active row, never the 30,000 finished ones.
        expect(Math.max(...nodes.map((n) => Number(n['Actual Rows'] ?? 0)))).toBeLessThanOrEqual(1);
        // The one active row is a pending start (claimStartable's), the only row the filter may drop.
        expect(nodes.reduce((acc, n) => acc + Number(n['Rows Removed by Filter'] ?? 0), 0)).toBeLessThanOrEqual(1);
      } finally {
        client.off('notice', onNotice);
        await client.query('rollback');
        client.release();
      }
    }
  });

  it('the claim functions return exactly the columns taskRowSchema reads, in its order', async () => {
    // A limit of 0 claims nothing; the result's columns are described all the same.
    const args = [clock.now(), 'columns', 60, 0, ['veo_scene']];
    const due = await w.services.db.query(`select * from claim_due_video_tasks($1, $2, $3, $4, $5)`, args);
    const startable = await w.services.db.query(`select * from claim_startable_video_tasks($1, $2, $3, $4, $5, $6)`, [...args, 10]);
    expect(due.fields.map((f) => f.name)).toEqual(TASK_COLUMNS);
    expect(startable.fields.map((f) => f.name)).toEqual(TASK_COLUMNS);
  });
});
