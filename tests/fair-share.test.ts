/**
 * The startable claim shares the room under MAX_IN_FLIGHT round-robin across professors, counts
 * what each already has in flight, and orders a professor's own scenes by priority, then oldest
 * job, then scene order (supabase/migrations/20261205001300_fair_share_claim.sql).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimStartable } from '../lib/tasks/claim.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';

let t: TestDatabase;
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const NOW = new Date('2026-12-05T03:00:00Z');
const KINDS = ['veo_scene'];

beforeAll(async () => {
  t = await createTestDatabase('fair-share');
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  await t.db.query('delete from video_jobs');
  await t.db.query('delete from escalations');
});

/** A job of `scenes` pending Veo scenes, created `minutesAgo` before NOW. */
async function job(owner: string | null, scenes: number, minutesAgo: number, priority = 'normal'): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>(
    `with e as (insert into escalations (professor_id, response) values ($1, 'r') returning id)
     insert into video_jobs (escalation_id, owner_id, request, deadline_at, created_at, priority)
     select id, $1, '{}'::jsonb, $2::timestamptz + interval '1 day', $2::timestamptz - make_interval(mins => $3), $4 from e returning id`,
    [owner, NOW, minutesAgo, priority],
  );
  const id = rows[0]!.id;
  await t.db.query(
    `insert into video_tasks (job_id, position, kind, input, next_check_at)
     select $1, p, 'veo_scene', '{}'::jsonb, $2::timestamptz - interval '1 second' from generate_series(0, $3 - 1) p`,
    [id, NOW, scenes],
  );
  return id;
}

const claim = (maxInFlight: number, limit = 100, tickId = 'tick') =>
  claimStartable(t.db, KINDS, maxInFlight, { tickId, now: NOW, leaseSeconds: 60, limit });

/** Marks claimed tasks as running operations (what the tick does after its create). */
async function start(ids: string[]): Promise<void> {
  await t.db.query(`update video_tasks set status = 'processing', operation_name = 'op-' || id, locked_until = null, locked_by = null where id = any($1)`, [ids]);
}

describe('fair-share claim', () => {
  it('copies the owner (nil for the service role), priority and job age onto each task', async () => {
    const a = await job(A, 1, 5, 'high');
    const s = await job(null, 1, 3, 'low');
    const { rows } = await t.db.query(`select job_id, queue_tenant, queue_priority from video_tasks order by queue_priority`);
    expect(rows).toEqual([
      { job_id: a, queue_tenant: A, queue_priority: 0 },
      { job_id: s, queue_tenant: '00000000-0000-0000-0000-000000000000', queue_priority: 2 },
    ]);
  });

  it('takes one scene per professor per round, the service role being one tenant', async () => {
    const a1 = await job(A, 4, 30);
    await job(A, 4, 20);
    const b = await job(B, 1, 10);
    const s1 = await job(null, 2, 9);
    const s2 = await job(null, 2, 8);
    const got = await claim(4);
    const seen = got.map((r) => `${r.job_id}:${r.position}`).sort();
    // Round 1: A's oldest job, B, the service role's oldest; round 2: A again (oldest first).
    expect(seen).toEqual([`${a1}:0`, `${a1}:1`, `${b}:0`, `${s1}:0`].sort());
    expect(got.map((r) => r.job_id)).not.toContain(s2);
  });

  it('a freed slot goes to the professor with the fewest in flight, not to the oldest backlog', async () => {
    await job(A, 20, 30);
    const first = await claim(4);
    expect(first).toHaveLength(4);
    await start(first.map((r) => r.id));
    const b = await job(B, 1, 1);
    expect(await claim(4)).toEqual([]);
    // One of A's operations finishes: B's scene, queued last, is next.
    await t.db.query(`update video_tasks set status = 'completed' where id = $1`, [first[0]!.id]);
    const next = await claim(4);
    expect(next.map((r) => r.job_id)).toEqual([b]);
  });

  it("priority orders a professor's own scenes; it does not jump other professors", async () => {
    const old = await job(A, 2, 30);
    const urgent = await job(A, 2, 5, 'high');
    const low = await job(A, 1, 40, 'low');
    const b = await job(B, 1, 1, 'low');
    const got = await claim(3);
    const byJob = got.map((r) => `${r.job_id}:${r.position}`).sort();
    expect(byJob).toEqual([`${urgent}:0`, `${urgent}:1`, `${b}:0`].sort());
    await start(got.map((r) => r.id));
    const rest = await claim(10);
    // The old normal job before the older low one.
    expect(rest.map((r) => `${r.job_id}:${r.position}`)).toEqual(expect.arrayContaining([`${old}:0`, `${old}:1`, `${low}:0`]));
  });

  it('never claims past the cap, counting leased pending starts', async () => {
    await job(A, 5, 30);
    await job(B, 5, 20);
    expect(await claim(3, 2, 't1')).toHaveLength(2);
    expect(await claim(3, 100, 't2')).toHaveLength(1);
    expect(await claim(3, 100, 't3')).toEqual([]);
    const { rows } = await t.db.query<{ n: number }>(`select count(distinct locked_by)::int as n from video_tasks where locked_by is not null`);
    expect(rows[0]!.n).toBe(2);
  });

  it('skips scenes in retry backoff and scenes leased by another tick', async () => {
    const a = await job(A, 2, 30);
    await t.db.query(`update video_tasks set next_check_at = $2::timestamptz + interval '1 minute' where job_id = $1 and position = 0`, [a, NOW]);
    await t.db.query(`update video_tasks set locked_until = $2::timestamptz + interval '1 minute', locked_by = 'other' where job_id = $1 and position = 1`, [a, NOW]);
    const b = await job(B, 1, 10);
    const got = await claim(10);
    expect(got.map((r) => r.job_id)).toEqual([b]);
  });

  it('two overlapping claims never take the same scene nor overfill the cap', async () => {
    for (let i = 0; i < 6; i++) await job(i % 2 ? A : B, 3, 30 - i);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => claim(7, 3, `t${i}`)));
    const ids = results.flat().map((r) => r.id);
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
  });

  it('holds a provider to its own cap and skips a paused one; the room goes to the next scenes of other providers, in the fair order', async () => {
    const luma = await job(A, 6, 30);
    const veo = await job(B, 6, 20);
    await t.db.query(`update video_tasks set provider = 'luma' where job_id = $1`, [luma]);
    await t.db.query(`update video_tasks set provider = 'veo' where job_id = $1`, [veo]);
    const capped = await claimStartable(t.db, KINDS, 8, { tickId: 'caps', now: NOW, leaseSeconds: 60, limit: 100 }, { luma: 2 });
    // Luma's two, then Veo takes the rest of the global room (A's further turns are skipped).
    expect(capped.filter((r) => r.provider === 'luma').map((r) => r.position)).toEqual([0, 1]);
    expect(capped.filter((r) => r.provider === 'veo')).toHaveLength(6);
    await start(capped.map((r) => r.id));
    // Luma's cap counts what it has running: nothing more for it until one finishes.
    expect(await claimStartable(t.db, KINDS, 20, { tickId: 'caps2', now: NOW, leaseSeconds: 60, limit: 100 }, { luma: 2 })).toEqual([]);
    await t.db.query(`update video_tasks set status = 'completed', locked_until = null where job_id = $1 and status = 'processing'`, [luma]);
    // Paused, Luma gets no room even under its cap; once the pause ends it does.
    await t.db.query(`insert into video_provider_pauses (provider, paused_until, reason) values ('luma', $1, 'out of credits')`, [new Date(NOW.getTime() + 60_000)]);
    expect(await claimStartable(t.db, KINDS, 20, { tickId: 'paused', now: NOW, leaseSeconds: 60, limit: 100 }, { luma: 2 })).toEqual([]);
    const later = new Date(NOW.getTime() + 120_000);
    const resumed = await claimStartable(t.db, KINDS, 20, { tickId: 'resumed', now: later, leaseSeconds: 60, limit: 100 }, { luma: 2 });
    expect(resumed.map((r) => [r.provider, r.position])).toEqual([['luma', 2], ['luma', 3]]);
  });
});
