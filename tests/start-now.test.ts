/**
 * The tick's rules outside the tick: `startNow` claims startable scenes through the tick's own
 * claim (lease, MAX_IN_FLIGHT) and starts them; `stepTasks` steps tasks a caller leased. Real
 * `@google/genai` against the Veo wire double, real Postgres.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cancelJob } from '../lib/jobs/cancel.js';
import { releaseLeases } from '../lib/tasks/apply.js';
import { claimDue } from '../lib/tasks/claim.js';
import { PROVIDER_KINDS } from '../lib/tasks/registry.js';
import { startNow, stepTasks } from '../lib/tick/run-steps.js';
import { runTick } from '../lib/tick/run-tick.js';
import { seedJobs, startWired, taskCounts, type Wired } from './support/wired.js';

const ENV = { LEASE_SECONDS: '60', TICK_MAX_DURATION_SECONDS: '30', MAX_IN_FLIGHT: '3', REQUEST_TIMEOUT_MS: '5000' };

let w: Wired;
beforeAll(async () => {
  w = await startWired('start-now', ENV);
});
afterAll(() => w.close());
beforeEach(async () => {
  w.reconfigure();
  w.veo.setBehavior({ outcome: 'video', pollsUntilDone: 2, failDownloads: false, script: [], doneAfterMs: undefined, chaos: undefined });
  await w.services.db.query('delete from escalations');
});

const now = () => new Date(Date.now() + 5_000);

async function leased(): Promise<number> {
  const { rows } = await w.services.db.query(`select count(*)::int as n from video_tasks where locked_by is not null`);
  return rows[0].n;
}

describe('startNow and stepTasks: the tick rules without a tick', () => {
  it('startNow starts as many scenes as MAX_IN_FLIGHT has room for, polls none, and holds no lease after', async () => {
    await seedJobs(w.services, 2, { scenes: 4 });
    const before = w.veo.creates.length;
    const r = await startNow(w.services, { maxDurationMs: 30_000, now });
    expect(r.created).toBe(3);
    expect(r.polled + r.completed).toBe(0);
    expect(w.veo.creates.length - before).toBe(3);
    expect(await taskCounts(w.services.db, 'veo_scene')).toMatchObject({ processing: 3, pending: 5 });
    expect(await leased()).toBe(0);
    // A second call finds no room: the cap is the tick's cap.
    expect((await startNow(w.services, { maxDurationMs: 30_000, now })).created).toBe(0);
    expect(w.veo.creates.length - before).toBe(3);
    // And the tick carries on from there: it polls the started three.
    const t = await runTick(w.services, { now, linger: false });
    expect(t.polled + t.completed).toBeGreaterThan(0);
  });

  it('a cancel that lands while a start waits for Veo\'s answer wins: the answer is fenced out, nothing starts again', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    w.veo.setBehavior({ script: [{ route: 'create', delayMs: 800 }] });
    const creates = w.veo.requests.create;
    const starting = startNow(w.services, { maxDurationMs: 30_000, now });
    // The create is at Veo, its answer not yet back: now the professor cancels.
    for (let i = 0; i < 200 && w.veo.requests.create === creates; i++) await new Promise((r) => setTimeout(r, 10));
    expect(w.veo.requests.create).toBe(creates + 1);
    await cancelJob(w.services.db, job!, new Date());
    await starting;
    const { rows: [task] } = await w.services.db.query(`select status, operation_name, locked_by from video_tasks where job_id = $1`, [job]);
    // The cancel released the lease, so the start's write of the operation name matched no row.
    expect(task).toEqual({ status: 'canceled', operation_name: null, locked_by: null });
    const { rows: [row] } = await w.services.db.query(`select status from video_jobs where id = $1`, [job]);
    expect(row.status).toBe('canceled');
    await runTick(w.services, { now, linger: false });
    await startNow(w.services, { maxDurationMs: 30_000, now });
    expect(w.veo.requests.create).toBe(creates + 1);
  });

  it('starts nothing when generation is off or when no answer could land before the hard stop', async () => {
    await seedJobs(w.services, 1, { scenes: 2 });
    const before = w.veo.creates.length;
    w.reconfigure({ VIDEO_GENERATION_ENABLED: 'false' });
    expect((await startNow(w.services, { maxDurationMs: 30_000, now })).created).toBe(0);
    w.reconfigure();
    // With 6 s of budget the hard stop is at 4.8 s, before a 5 s request could be answered.
    const r = await startNow(w.services, { maxDurationMs: 6_000, now });
    expect(r.created).toBe(0);
    expect(w.veo.creates.length - before).toBe(0);
    expect(await taskCounts(w.services.db, 'veo_scene')).toMatchObject({ pending: 2, processing: 0 });
    expect(await leased()).toBe(0);
  });

  it('stepTasks steps tasks the caller leased, once each, under its lease', async () => {
    await seedJobs(w.services, 1, { scenes: 2 });
    await startNow(w.services, { maxDurationMs: 30_000, now });
    const tickId = randomUUID();
    const claimed = await claimDue(w.services.db, PROVIDER_KINDS, { tickId, now: now(), leaseSeconds: 60, limit: 10 });
    // The scenes whose operations startNow began; anything else due (a job's other tasks) goes back.
    const tasks = claimed.filter((t) => t.kind === 'veo_scene');
    expect(tasks.map((t) => t.status)).toEqual(['processing', 'processing']);
    await releaseLeases(w.services.db, tickId, claimed.filter((t) => t.kind !== 'veo_scene').map((t) => t.id));
    const r = await stepTasks(w.services, tasks, { tickId, maxDurationMs: 30_000, now });
    expect(r.polled).toBe(2);
    expect(r.lost).toBe(0);
    expect(await leased()).toBe(0);
    // Under someone else's lease id the writes are fenced off: nothing is recorded.
    const again = (await claimDue(w.services.db, PROVIDER_KINDS, { tickId: randomUUID(), now: new Date(Date.now() + 120_000), leaseSeconds: 60, limit: 10 })).filter((t) => t.kind === 'veo_scene');
    expect(again.length).toBe(2);
    const foreign = await stepTasks(w.services, again, { tickId: randomUUID(), maxDurationMs: 30_000, now });
    expect(foreign.lost).toBe(again.length);
  });
});
