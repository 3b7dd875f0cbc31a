/**
 * GET /api/video/metrics through the real handler on a real PostgreSQL with the project's
 * migrations: who may read it (tokens signed as Supabase Auth signs them, with app_metadata and
 * user_metadata claims), that its figures match seeded rows, that the ticks leave their record and
 * that record stays bounded, and both forms of the answer (JSON, and Prometheus text read back by
 * a strict parser).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GET as metrics } from '../api/video/metrics.js';
import type { Db } from '../lib/db/pool.js';
import { setLogSilent } from '../lib/log.js';
import { metricsSchema, type Metrics } from '../lib/ops/schema.js';
import { PROMETHEUS_CONTENT_TYPE } from '../lib/ops/prometheus.js';
import { runTick } from '../lib/tick/run-tick.js';
import { recordTickRun, TICK_RUNS_WINDOW, type TickRun } from '../lib/tick/tick-runs.js';
import { createTestApp, type TestApp, type TokenClaims } from './support/app.js';
import { parseExposition, sampleOf } from './support/prometheus-text.js';
import { testClock } from './support/ticks.js';
import { seedJobs } from './support/wired.js';

const PROFESSOR = '5b0c2d1e-7f3a-4c6b-9d8e-1a2b3c4d5e6f';
const LISTED_OPERATOR = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const CLAIMED_ADMIN = 'c0ffee00-0000-4000-8000-00000000ad01';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp('metrics', { OPS_ADMIN_USER_IDS: `${LISTED_OPERATOR.toUpperCase()}, 11111111-1111-4111-8111-111111111111` });
});
afterAll(() => app.close());

const PATH = '/api/video/metrics';

async function read(headers: Record<string, string>, query = '') {
  return app.call(metrics, 'GET', `${PATH}${query}`, { as: null, headers });
}

const operator = () => app.auth(null, 'service_role');

async function readJson(query = ''): Promise<Metrics> {
  const res = await read(await operator(), query);
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return metricsSchema.parse(res.json);
}

describe('who may read the metrics', () => {
  const user = (id: string, claims?: TokenClaims) => app.auth(id, 'authenticated', claims);

  it('no token: 401 with the Bearer challenge, as every endpoint', async () => {
    const res = await read({});
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthorized');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const bad = await read({ authorization: 'Bearer not-a-jwt' });
    expect(bad.status).toBe(401);
  });

  it('a plain professor: 403 forbidden, saying who may', async () => {
    const res = await read(await user(PROFESSOR));
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: { code: 'forbidden', message: expect.stringMatching(/app_metadata.*OPS_ADMIN_USER_IDS/) } });
  });

  it('an admin claim in user_metadata (which users edit themselves) is a 403, whatever its form', async () => {
    for (const user_metadata of [{ role: 'admin' }, { admin: true }, { role: 'admin', admin: true }]) {
      const res = await read(await user(PROFESSOR, { user_metadata }));
      expect(res.status, JSON.stringify(user_metadata)).toBe(403);
    }
    // Look-alikes in app_metadata grant nothing either.
    for (const app_metadata of [{ admin: 'true' }, { role: 'administrator' }, { roles: ['admin'] }]) {
      expect((await read(await user(PROFESSOR, { app_metadata }))).status, JSON.stringify(app_metadata)).toBe(403);
    }
  });

  it('app_metadata admins, OPS_ADMIN_USER_IDS members and the service role: 200', async () => {
    const allowed: Array<[string, Record<string, string>]> = [
      ['app_metadata.role admin', await user(CLAIMED_ADMIN, { app_metadata: { provider: 'email', role: 'admin' } })],
      ['app_metadata.admin true', await user(CLAIMED_ADMIN, { app_metadata: { admin: true } })],
      ['listed in OPS_ADMIN_USER_IDS', await user(LISTED_OPERATOR)],
      ['service role', await operator()],
    ];
    for (const [who, headers] of allowed) {
      const res = await read(headers);
      expect(res.status, who).toBe(200);
      expect(metricsSchema.safeParse(res.json).success, who).toBe(true);
    }
  });

  it('a refused caller learns nothing about the query: 401 and 403 come before 400', async () => {
    expect((await read({}, '?ticks=0')).status).toBe(401);
    expect((await read(await user(PROFESSOR), '?ticks=0')).status).toBe(403);
  });
});

/** Rows as the service writes them, placed in time relative to the database's now(). */
async function seedJob(db: Db, status: string, tasks: Array<{ kind?: string; status: string; sql?: string }>): Promise<string> {
  const { rows: [e] } = await db.query(`insert into escalations (professor_id, response) values ($1, 'x') returning id`, [PROFESSOR]);
  const { rows: [j] } = await db.query(
    `insert into video_jobs (escalation_id, owner_id, status, request, deadline_at) values ($1, $2, $3, '{}', now() + interval '3 hours') returning id`,
    [e.id, PROFESSOR, status],
  );
  for (const [position, t] of tasks.entries()) {
    const { rows: [row] } = await db.query(`insert into video_tasks (job_id, position, kind, status, input) values ($1, $2, $3, $4, '{}') returning id`, [
      j.id,
      position,
      t.kind ?? 'veo_scene',
      t.status,
    ]);
    if (t.sql) await db.query(`update video_tasks set ${t.sql} where id = $1`, [row.id]);
  }
  return j.id;
}

/** A completed operation that took `seconds`, ending `endedAgo` before now. */
const done = (seconds: number, endedAgo: string, kind = 'veo_scene') => ({
  kind,
  status: 'completed',
  sql: `completed_at = now() - interval '${endedAgo}', started_at = now() - interval '${endedAgo}' - make_interval(secs => ${seconds})`,
});
const failed = (code: string | null, ago: string) => ({
  status: 'failed',
  sql: `error_code = ${code === null ? 'null' : `'${code}'`}, completed_at = now() - interval '${ago}', started_at = now() - interval '${ago}' - interval '1 minute'`,
});

describe('the figures match the rows', () => {
  beforeAll(async () => {
    const db = app.database.db;
    await db.query('delete from escalations');
    // Waiting: one startable for two minutes, one claimed to start this moment, one in backoff.
    await seedJob(db, 'pending', [
      { status: 'pending', sql: `next_check_at = now() - interval '2 minutes'` },
      { status: 'pending', sql: `next_check_at = now() - interval '10 minutes', locked_by = 'a-tick', locked_until = now() + interval '1 minute'` },
      { status: 'pending', sql: `next_check_at = now() + interval '30 seconds'` },
    ]);
    // Running: two operations, and the final cut waiting for them.
    await seedJob(db, 'processing', [
      { status: 'processing', sql: `started_at = now() - interval '40 seconds', operation_name = 'op-1'` },
      { status: 'processing', sql: `started_at = now() - interval '20 seconds', operation_name = 'op-2'` },
      { kind: 'render', status: 'pending' },
    ]);
    // Finished operations: five within the hour, two earlier today, one the day before (left out),
    // and a still (not a Veo operation, left out of the latency).
    await seedJob(db, 'completed', [
      done(10, '5 minutes'),
      done(20, '10 minutes'),
      done(30, '20 minutes'),
      done(40, '30 minutes'),
      done(100, '50 minutes'),
      done(200, '5 hours'),
      done(300, '6 hours'),
      done(1000, '30 hours'),
      done(5, '1 minute', 'imagen_still'),
    ]);
    // Failures today by reason, and one from three days ago (left out).
    await seedJob(db, 'failed', [failed('timed_out', '1 hour'), failed('timed_out', '2 hours'), failed('safety_filtered', '3 hours'), failed(null, '4 hours'), failed('provider_error', '3 days')]);
  });

  it('JSON: queue depth by kind and state, jobs, slots, the oldest waiting scene, latency, failures, the kill switch', async () => {
    const before = Date.now();
    const m = await readJson();
    expect(Date.parse(m.generatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(m.generationEnabled).toBe(true);
    expect(m.queue).toEqual({
      tasks: {
        veo_scene: { pending: 3, processing: 2 },
        imagen_still: { pending: 0, processing: 0 },
        render: { pending: 1, processing: 0 },
        variation: { pending: 0, processing: 0 },
      },
      jobs: { pending: 1, processing: 1 },
    });
    // The two running and the one claimed to start hold slots, as the claim counts them.
    expect(m.inFlight).toEqual({ operations: 3, maxInFlight: app.config.MAX_IN_FLIGHT, byKind: { veo_scene: 3, imagen_still: 0 } });
    // The claimed one is not waiting; the one in backoff is not startable yet.
    expect(m.oldestWaitingSeconds).toBeGreaterThanOrEqual(119);
    expect(m.oldestWaitingSeconds).toBeLessThan(130);
    // percentile_cont: hour [10, 20, 30, 40, 100] → p50 30, p95 40 + 0.8 × 60; day adds 200 and 300.
    expect(m.veoLatency.lastHour).toEqual({ operations: 5, p50Seconds: 30, p95Seconds: expect.closeTo(88, 6) });
    expect(m.veoLatency.lastDay).toEqual({ operations: 7, p50Seconds: 40, p95Seconds: expect.closeTo(270, 6) });
    expect(m.failures).toEqual({ windowHours: 24, total: 4, byReason: { timed_out: 2, safety_filtered: 1, unknown: 1 } });
  });

  it('Prometheus: the same figures as gauges, in the 0.0.4 text format, when Accept prefers text/plain', async () => {
    const json = await readJson();
    const res = await read({ ...(await operator()), accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('vary')).toBe('accept');
    const p = parseExposition(res.text);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'veo_scene', status: 'pending' })).toBe(3);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'veo_scene', status: 'processing' })).toBe(2);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'render', status: 'pending' })).toBe(1);
    expect(sampleOf(p, 'video_jobs_active', { status: 'pending' })).toBe(1);
    expect(sampleOf(p, 'video_operations_in_flight', { kind: 'veo_scene' })).toBe(3);
    expect(sampleOf(p, 'video_operations_max_in_flight')).toBe(app.config.MAX_IN_FLIGHT);
    expect(sampleOf(p, 'video_oldest_waiting_task_age_seconds')).toBeGreaterThanOrEqual(json.oldestWaitingSeconds!);
    expect(sampleOf(p, 'video_veo_operation_seconds', { window: '1h', quantile: '0.5' })).toBe(30);
    expect(sampleOf(p, 'video_veo_operation_seconds', { window: '24h', quantile: '0.95' })).toBeCloseTo(270, 6);
    expect(sampleOf(p, 'video_veo_operations_completed', { window: '24h' })).toBe(7);
    expect(sampleOf(p, 'video_task_failures', { reason: 'timed_out', window: '24h' })).toBe(2);
    expect(sampleOf(p, 'video_task_failures', { reason: 'unknown' })).toBe(1);
    expect(sampleOf(p, 'video_generation_enabled')).toBe(1);
    // A browser (or curl) that says nothing in particular gets JSON.
    for (const accept of ['*/*', 'application/json', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      expect((await read({ ...(await operator()), accept })).headers.get('content-type'), accept).toMatch(/^application\/json/);
    }
  });

  it('shows generation switched off (VIDEO_GENERATION_ENABLED=false), in both forms', async () => {
    app.reconfigure({ VIDEO_GENERATION_ENABLED: 'false' });
    try {
      expect((await readJson()).generationEnabled).toBe(false);
      const res = await read({ ...(await operator()), accept: 'text/plain' });
      expect(sampleOf(parseExposition(res.text), 'video_generation_enabled')).toBe(0);
    } finally {
      app.reconfigure();
    }
  });

  it('names a paused provider, until when and why, in both forms; an ended pause is not listed', async () => {
    const db = app.database.db;
    await db.query(`insert into video_provider_pauses (provider, paused_until, reason) values ('luma', now() + interval '10 minutes', 'no credits left'), ('veo', now() - interval '1 minute', 'old')`);
    try {
      const m = await readJson();
      expect(m.pausedProviders).toEqual([{ provider: 'luma', pausedUntil: expect.any(String), reason: 'no credits left' }]);
      expect(new Date(m.pausedProviders[0]!.pausedUntil).getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
      const res = await read({ ...(await operator()), accept: 'text/plain' });
      expect(res.text).toContain('video_provider_paused{provider="luma"} 1');
      expect(res.text).not.toContain('provider="veo"');
    } finally {
      await db.query('delete from video_provider_pauses');
    }
    expect((await readJson()).pausedProviders).toEqual([]);
  });
});

async function tickRows(): Promise<number> {
  return (await app.database.db.query(`select count(*)::int as n from video_tick_runs`)).rows[0].n;
}

describe('the ticks leave their record, and it stays bounded', () => {
  beforeEach(async () => {
    await app.database.db.query('delete from escalations; delete from video_tick_runs');
  });

  it('each runTick writes one row: when, how long, what it did, why it stopped; listed newest first', async () => {
    await seedJobs(app.services, 1, { scenes: 1 });
    const clock = testClock();
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await runTick(app.services, { now: clock.now, linger: false, random: () => 0.5 }));
      clock.advance(61_000);
    }
    expect(await tickRows()).toBe(3);
    const m = await readJson();
    expect(m.ticks.map((t) => t.tickId)).toEqual(results.map((r) => r.tickId).reverse());
    const [latest] = m.ticks;
    const last = results.at(-1)!;
    expect(latest).toMatchObject({
      created: last.created,
      polled: last.polled,
      completed: last.completed,
      failed: last.failed,
      uploaded: last.uploaded,
      retried: last.retried,
      released: last.released,
      expired: last.expired,
      lost: last.lost,
      stoppedBecause: last.stoppedBecause,
      generationEnabled: true,
      durationMs: last.durationMs,
    });
    // Stamped with the tick's own clock, and started its duration before it finished.
    expect(Date.parse(latest!.finishedAt)).toBe(clock.now().getTime() - 61_000);
    expect(Date.parse(latest!.finishedAt) - Date.parse(latest!.startedAt)).toBe(last.durationMs);
    // The first tick started the scene (the local stand-in), so it did something worth a row.
    expect(m.ticks.at(-1)!.created).toBe(1);
    expect(results[0]!.created).toBe(1);

    expect((await readJson('?ticks=2')).ticks.map((t) => t.tickId)).toEqual([results[2]!.tickId, results[1]!.tickId]);
    const p = parseExposition((await read({ ...(await operator()), accept: 'text/plain' })).text);
    expect(sampleOf(p, 'video_tick_last_finished_timestamp_seconds')).toBe(Date.parse(latest!.finishedAt) / 1000);
    expect(sampleOf(p, 'video_tick_last_tasks', { outcome: 'created' })).toBe(last.created);
    expect(sampleOf(p, 'video_tick_last_stopped', { reason: last.stoppedBecause })).toBe(1);
  });

  it(`keeps the newest ${TICK_RUNS_WINDOW.rows} rows: a real tick after ${TICK_RUNS_WINDOW.rows + 5} leaves exactly ${TICK_RUNS_WINDOW.rows}, its own the newest`, async () => {
    const db = app.database.db;
    await db.query(
      `insert into video_tick_runs (tick_id, started_at, finished_at, duration_ms, generation_enabled, stopped_because)
       select 'old-' || n, now() - interval '1 minute', now() - make_interval(secs => 10000 - n), 5, true, 'idle' from generate_series(1, $1) n`,
      [TICK_RUNS_WINDOW.rows + 5],
    );
    expect(await tickRows()).toBe(TICK_RUNS_WINDOW.rows + 5);
    const tick = await runTick(app.services, { linger: false });
    expect(await tickRows()).toBe(TICK_RUNS_WINDOW.rows);
    const { rows } = await db.query(`select tick_id from video_tick_runs order by id`);
    // The oldest went; the rest are the newest seeded ones and the tick's.
    expect(rows[0].tick_id).toBe(`old-${6 + 1}`);
    expect(rows.at(-1).tick_id).toBe(tick.tickId);
    expect((await readJson(`?ticks=200`)).ticks).toHaveLength(200);
  });

  it(`and none older than ${TICK_RUNS_WINDOW.maxAgeHours} hours, by the tick's clock`, async () => {
    const db = app.database.db;
    await db.query(
      `insert into video_tick_runs (tick_id, started_at, finished_at, duration_ms, generation_enabled, stopped_because) values
         ('three-days', now() - interval '72 hours', now() - interval '72 hours', 5, true, 'idle'),
         ('yesterday', now() - interval '24 hours', now() - interval '24 hours', 5, true, 'budget')`,
    );
    const tick = await runTick(app.services, { linger: false });
    const { rows } = await db.query(`select tick_id from video_tick_runs order by id`);
    expect(rows.map((r) => r.tick_id)).toEqual(['yesterday', tick.tickId]);
  });

  it('prunes in the same statement as each insert, whatever the window', async () => {
    const run: TickRun = { tickId: 'x', created: 0, polled: 0, completed: 0, failed: 0, uploaded: 0, retried: 0, expired: 0, released: 0, lost: 0, generationEnabled: true, stoppedBecause: 'idle', durationMs: 3 };
    for (let i = 0; i < 12; i++) expect(await recordTickRun(app.database.db, { ...run, tickId: `t${i}` }, new Date(), { rows: 5, maxAgeHours: 48 })).toBe(true);
    const { rows } = await app.database.db.query(`select tick_id from video_tick_runs order by id`);
    expect(rows.map((r) => r.tick_id)).toEqual(['t7', 't8', 't9', 't10', 't11']);
  });

  it('a failed insert never fails the tick: it is logged and the tick answers as usual', async () => {
    const db = app.database.db;
    const lines: string[] = [];
    await db.query('alter table video_tick_runs rename to video_tick_runs_away');
    setLogSilent(false);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const tick = await runTick(app.services, { linger: false });
      expect(tick.stoppedBecause).toBe('idle');
      const logged = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'tick.run_not_recorded');
      expect(logged).toMatchObject({ tickId: tick.tickId, message: expect.stringMatching(/video_tick_runs/) });
    } finally {
      spy.mockRestore();
      setLogSilent(process.env.LOG_LEVEL === 'silent');
      await db.query('alter table video_tick_runs_away rename to video_tick_runs');
    }
    expect(await tickRows()).toBe(0);
    // A database that does not answer at all costs the tick at most the record's timeout.
    const silent = { query: () => new Promise<never>(() => {}) } as unknown as Db;
    const started = Date.now();
    const run: TickRun = { tickId: 'x', created: 0, polled: 0, completed: 0, failed: 0, uploaded: 0, retried: 0, expired: 0, released: 0, lost: 0, generationEnabled: true, stoppedBecause: 'idle', durationMs: 3 };
    expect(await recordTickRun(silent, run, new Date())).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a bad ticks parameter or an unknown one, naming it', async () => {
    for (const [query, field] of [['?ticks=0', 'ticks'], ['?ticks=201', 'ticks'], ['?ticks=abc', 'ticks'], ['?ticks=5&ticks=6', 'ticks'], ['?tick=5', 'tick']] as const) {
      const res = await read(await operator(), query);
      expect(res.status, query).toBe(400);
      expect(res.json.error.code).toBe('invalid_request');
      expect(Object.keys(res.json.error.fields), query).toEqual([field]);
    }
  });
});
