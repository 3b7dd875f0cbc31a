/**
 * The tables added for idempotency keys and webhook deliveries are the service's own: in a real
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

describe('idempotency_keys and webhook_deliveries are not for dashboards', () => {
  it('have row level security enabled', async () => {
    const { rows } = await t.db.query(`select relname, relrowsecurity from pg_class where relname in ('idempotency_keys', 'webhook_deliveries') order by relname`);
    expect(rows).toEqual([{ relname: 'idempotency_keys', relrowsecurity: true }, { relname: 'webhook_deliveries', relrowsecurity: true }]);
  });

  for (const role of ['anon', 'authenticated']) {
    for (const table of ['idempotency_keys', 'webhook_deliveries']) {
      it(`${role} cannot select from or write to ${table}, even rows about its own jobs`, async () => {
        await expect(as(role, (c) => c.query(`select * from ${table}`))).rejects.toThrow(/permission denied/);
        await expect(as(role, (c) => c.query(`delete from ${table}`))).rejects.toThrow(/permission denied/);
      });
    }
  }

  it('service_role reaches both', async () => {
    const counts = await as('service_role', async (c) => {
      const a = await c.query(`select count(*)::int as n from idempotency_keys`);
      const b = await c.query(`select count(*)::int as n from webhook_deliveries`);
      return [a.rows[0].n, b.rows[0].n];
    });
    expect(counts).toEqual([1, 1]);
  });
});
