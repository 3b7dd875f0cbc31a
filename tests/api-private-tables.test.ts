/**
 * The tables added for idempotency keys, webhook deliveries and the ticks' record are the service's own: in a real
 * PostgreSQL migrated with the project's migrations, a dashboard (`anon` or `authenticated` with
 * its JWT claims set as PostgREST sets them) can neither read nor write them; RLS is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbClient } from '../lib/db/pool.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase('api-private-tables');
  const { rows: [e] } = await t.db.query(`insert into escalations (professor_id, response) values ($1, 'x') returning id`, [ALICE]);
  const { rows: [j] } = await t.db.query(
    `insert into video_jobs (escalation_id, owner_id, request, deadline_at, webhook_url) values ($1, $2, '{}', now() + interval '1 hour', 'https://alice.example/h') returning id`,
    [e.id, ALICE],
  );
  await t.db.query(`insert into webhook_deliveries (job_id, url, event) values ($1, 'https://alice.example/h', 'job.completed')`, [j.id]);
  await t.db.query(`insert into idempotency_keys (scope, key, request_hash, job_id, expires_at) values ($1, 'k', 'h', $2, now() + interval '1 day')`, [ALICE, j.id]);
  await t.db.query(
    `insert into video_tick_runs (tick_id, started_at, finished_at, duration_ms, generation_enabled, stopped_because) values ('t', now(), now(), 5, true, 'idle')`,
  );
});
afterAll(() => t.drop());

async function as<T>(role: string, work: (c: DbClient) => Promise<T>): Promise<T> {
  const client = await t.db.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: ALICE, role })]);
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}

const PRIVATE = ['idempotency_keys', 'video_tick_runs', 'webhook_deliveries'];

describe('idempotency_keys, webhook_deliveries and video_tick_runs are not for dashboards', () => {
  it('have row level security enabled', async () => {
    const { rows } = await t.db.query(`select relname, relrowsecurity from pg_class where relname = any($1) and relkind = 'r' order by relname`, [PRIVATE]);
    expect(rows).toEqual(PRIVATE.map((relname) => ({ relname, relrowsecurity: true })));
  });

  it('every table in public has row level security on, so a new one cannot be forgotten', async () => {
    const { rows } = await t.db.query(`select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity`);
    expect(rows).toEqual([]);
  });

  it("no policy on the service's own tables lets anon or authenticated in", async () => {
    const { rows } = await t.db.query(`select tablename, policyname, roles from pg_policies where schemaname = 'public' and tablename = any($1)`, [PRIVATE]);
    for (const r of rows) expect(r.roles, `${r.tablename}.${r.policyname}`).toEqual('{service_role}');
  });

  it("the tick record's id sequence is not theirs either", async () => {
    for (const role of ['anon', 'authenticated']) {
      await expect(as(role, (c) => c.query(`select nextval('video_tick_runs_id_seq')`))).rejects.toThrow(/permission denied/);
    }
  });

  for (const role of ['anon', 'authenticated']) {
    for (const table of PRIVATE) {
      it(`${role} cannot select from or write to ${table}, even rows about its own jobs`, async () => {
        await expect(as(role, (c) => c.query(`select * from ${table}`))).rejects.toThrow(/permission denied/);
        await expect(as(role, (c) => c.query(`delete from ${table}`))).rejects.toThrow(/permission denied/);
      });
    }
  }

  it('service_role reaches them all', async () => {
    const counts = await as('service_role', async (c) => {
      const out: number[] = [];
      for (const table of PRIVATE) out.push((await c.query(`select count(*)::int as n from ${table}`)).rows[0].n);
      // Writing a tick's row takes the identity sequence too.
      await c.query(`insert into video_tick_runs (tick_id, started_at, finished_at, duration_ms, generation_enabled, stopped_because) values ('s', now(), now(), 1, true, 'idle')`);
      return out;
    });
    expect(counts).toEqual([1, 1, 1]);
  });
});
