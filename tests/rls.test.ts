/**
 * Row level security in a real PostgreSQL migrated with the project's migrations: queries run as
 * the `authenticated`, `anon` and `service_role` roles with the JWT claims set the way PostgREST
 * and Realtime set them, inside transactions that are rolled back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_PROFESSOR_ID } from '../lib/auth/dev-keys.js';
import { readMigrations } from '../lib/db/migrate.js';
import type { DbClient } from '../lib/db/pool.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

let t: TestDatabase;
// The clone is dropped only when every test passed, so a failure leaves its rows to inspect.
let failed = false;

interface Seeded {
  escalation: string;
  job: string;
}
const seeded: Record<string, Seeded> = {};

async function seed(professor: string): Promise<Seeded> {
  const { rows: [e] } = await t.db.query<{ id: string }>(
    `insert into escalations (professor_id, question, response) values ($1, 'Why is the sky blue?', 'Scattering.') returning id`,
    [professor],
  );
  const { rows: [j] } = await t.db.query<{ id: string }>(
    `insert into video_jobs (escalation_id, owner_id, request, deadline_at)
     values ($1, $2, '{}'::jsonb, now() + interval '1 hour') returning id`,
    [e!.id, professor],
  );
  await t.db.query(
    `insert into video_tasks (job_id, position, kind, input)
     select $1, n, 'veo_scene', '{}'::jsonb from generate_series(0, 2) n`,
    [j!.id],
  );
  return { escalation: e!.id, job: j!.id };
}

/** Runs `work` as a database role with the given JWT claims, then rolls everything back. */
async function as<T>(role: string, claims: Record<string, unknown> | null, work: (c: DbClient) => Promise<T>): Promise<T> {
  const client = await t.db.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    if (claims) await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}

const user = (sub: string) => ({ sub, role: 'authenticated', aud: 'authenticated' });

async function visible(c: DbClient): Promise<{ escalations: string[]; jobs: string[]; tasks: number }> {
  const e = await c.query<{ id: string }>('select id from escalations order by id');
  const j = await c.query<{ id: string }>('select id from video_jobs order by id');
  const tk = await c.query<{ n: number }>('select count(*)::int as n from video_tasks');
  return { escalations: e.rows.map((r) => r.id), jobs: j.rows.map((r) => r.id), tasks: tk.rows[0]!.n };
}

beforeAll(async () => {
  t = await createTestDatabase('rls');
  seeded[ALICE] = await seed(ALICE);
  seeded[BOB] = await seed(BOB);
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    failed = true;
  });
});

afterAll(async () => {
  if (!failed) await t.drop();
  else await t.db.end();
});

describe('row level security (real PostgreSQL, migrated schema, authenticated/anon/service_role roles)', () => {
  it('auth.uid() reads the sub of request.jwt.claims, and of the older request.jwt.claim.sub', async () => {
    expect(await as('authenticated', user(ALICE), async (c) => (await c.query('select auth.uid() as id')).rows[0].id)).toBe(ALICE);
    const legacy = await as('authenticated', null, async (c) => {
      await c.query(`select set_config('request.jwt.claim.sub', $1, true)`, [BOB]);
      return (await c.query('select auth.uid() as id')).rows[0].id;
    });
    expect(legacy).toBe(BOB);
    expect(await as('authenticated', null, async (c) => (await c.query('select auth.uid() as id')).rows[0].id)).toBeNull();
  });

  it('a professor sees their own escalation, job and tasks, and none of another professor', async () => {
    const alice = await as('authenticated', user(ALICE), visible);
    expect(alice).toEqual({ escalations: [seeded[ALICE]!.escalation], jobs: [seeded[ALICE]!.job], tasks: 3 });
    const bob = await as('authenticated', user(BOB), visible);
    expect(bob).toEqual({ escalations: [seeded[BOB]!.escalation], jobs: [seeded[BOB]!.job], tasks: 3 });
    const byId = await as('authenticated', user(ALICE), async (c) =>
      (await c.query('select count(*)::int as n from video_tasks where job_id = $1', [seeded[BOB]!.job])).rows[0].n,
    );
    expect(byId).toBe(0);
  });

  it("supabase/seed.sql's escalation is the demo professor's, so a dashboard signed in as them sees it", async () => {
    const seedSql = await readFile(path.join(import.meta.dirname, '..', 'supabase', 'seed.sql'), 'utf8');
    const ids = await as('service_role', { role: 'service_role' }, async (c) => {
      await c.query(seedSql);
      // Then, in the same (rolled back) transaction, the demo professor's view of it.
      await c.query('set local role authenticated');
      await c.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(user(DEMO_PROFESSOR_ID))]);
      return (await c.query<{ id: string }>('select id from escalations')).rows.map((r) => r.id);
    });
    expect(ids).toContain('00000000-0000-4000-8000-000000000001');
  });

  it('a signed-in role without a sub sees nothing', async () => {
    expect(await as('authenticated', { role: 'authenticated' }, visible)).toEqual({ escalations: [], jobs: [], tasks: 0 });
  });

  it('a professor cannot insert, update or delete, not even their own rows', async () => {
    const refused = [
      `insert into escalations (professor_id, response) values ('${ALICE}', 'mine')`,
      `update escalations set video_generation_status = 'completed' where id = '${seeded[ALICE]!.escalation}'`,
      `update video_jobs set status = 'completed', video_url = 'https://evil.example' where id = '${seeded[ALICE]!.job}'`,
      `update video_tasks set status = 'completed' where job_id = '${seeded[ALICE]!.job}'`,
      `delete from video_jobs where id = '${seeded[ALICE]!.job}'`,
    ];
    for (const sql of refused) {
      await expect(as('authenticated', user(ALICE), (c) => c.query(sql))).rejects.toThrow(/permission denied/);
    }
    const { rows } = await t.db.query(`select status from video_jobs where id = $1`, [seeded[ALICE]!.job]);
    expect(rows[0].status).toBe('pending');
  });

  it('anon may not read any of the tables', async () => {
    for (const table of ['escalations', 'video_jobs', 'video_tasks']) {
      await expect(as('anon', { role: 'anon' }, (c) => c.query(`select * from ${table}`))).rejects.toThrow(/permission denied/);
    }
  });

  it('neither anon nor a signed-in user may call the claim functions (PostgREST would expose them as RPC)', async () => {
    const calls = [
      `select * from claim_due_video_tasks(now(), 'rpc', 60, 100, array['veo_scene'])`,
      `select * from claim_startable_video_tasks(now(), 'rpc', 60, 100, array['veo_scene'], 10)`,
    ];
    for (const [role, claims] of [['anon', { role: 'anon' }], ['authenticated', user(ALICE)]] as const) {
      for (const sql of calls) await expect(as(role, claims, (c) => c.query(sql)), `${role}: ${sql}`).rejects.toThrow(/permission denied for function/);
    }
    // The service role may: the seeded scenes are pending starts, so the startable claim leases them.
    const claimed = await as('service_role', { role: 'service_role' }, (c) => c.query(calls[1]!));
    expect(claimed.rows.length).toBeGreaterThan(0);
    expect(new Set(claimed.rows.map((r) => r.locked_by))).toEqual(new Set(['rpc']));
  });

  it('service_role reads and writes every row', async () => {
    const all = await as('service_role', { role: 'service_role' }, async (c) => {
      await c.query(`update video_jobs set status = 'processing'`);
      return visible(c);
    });
    expect(all.escalations).toHaveLength(2);
    expect(all.jobs).toHaveLength(2);
    expect(all.tasks).toBe(6);
  });

  it("where Supabase Storage exists, a professor may read (and so sign) their own jobs' files and no one else's", async () => {
    const policy = (await readMigrations()).find((m) => m.name === 'storage_read_own_files')!;
    const client = await t.db.connect();
    try {
      await client.query('begin');
      // Supabase's storage.objects, reduced to what the policy reads; RLS on, as Supabase has it.
      await client.query(`create schema storage; create table storage.objects (id serial primary key, bucket_id text not null, name text not null);
        alter table storage.objects enable row level security; grant usage on schema storage to authenticated; grant select on storage.objects to authenticated`);
      // Run by a role that does not own storage.objects (as on some hosted projects), it warns and goes on.
      await client.query('set local role authenticated');
      await client.query(policy.sql);
      await client.query('reset role');
      expect((await client.query(`select count(*)::int as n from pg_policies where schemaname = 'storage'`)).rows[0].n).toBe(0);
      await client.query(policy.sql);
      await client.query(policy.sql);
      const files = [`${seeded[ALICE]!.job}/final.mp4`, `${seeded[ALICE]!.job}/scene-01.mp4`, `${seeded[BOB]!.job}/final.mp4`, 'not-a-job/x.mp4', 'loose.txt'];
      await client.query(`insert into storage.objects (bucket_id, name) select 'explainer-videos', unnest($1::text[])`, [files]);
      // Another bucket's file under Alice's job id is not hers to read through this policy.
      await client.query(`insert into storage.objects (bucket_id, name) values ('avatars', $1)`, [`${seeded[ALICE]!.job}/face.png`]);
      await client.query('set local role authenticated');
      const seen = async (sub: string) => {
        await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(user(sub))]);
        return (await client.query<{ name: string }>('select name from storage.objects order by name')).rows.map((r) => r.name);
      };
      expect(await seen(ALICE)).toEqual([files[0], files[1]].sort());
      expect(await seen(BOB)).toEqual([files[2]]);
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  });

  const published = async () =>
    (await t.db.query(`select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by 1`)).rows.map((r) => r.tablename);

  it('adds the watched tables to supabase_realtime when that publication exists, idempotently', async () => {
    const rls = (await readMigrations()).find((m) => m.name === 'row_level_security')!;
    await t.db.query('create publication supabase_realtime');
    try {
      await t.db.query(rls.sql);
      await t.db.query(rls.sql);
      expect(await published()).toEqual(['escalations', 'video_jobs', 'video_tasks']);
    } finally {
      await t.db.query('drop publication supabase_realtime');
    }
    // Supabase projects may publish everything; adding a table to such a publication would fail.
    await t.db.query('create publication supabase_realtime for all tables');
    try {
      await t.db.query(rls.sql);
    } finally {
      await t.db.query('drop publication supabase_realtime');
    }
  });

  it('then takes video_tasks out of the publication: its bookkeeping writes would each be a metered message', async () => {
    const migrations = await readMigrations();
    const rls = migrations.find((m) => m.name === 'row_level_security')!;
    const unpublish = migrations.find((m) => m.name === 'unpublish_video_tasks')!;
    await t.db.query('create publication supabase_realtime');
    try {
      await t.db.query(rls.sql);
      await t.db.query(unpublish.sql);
      await t.db.query(unpublish.sql);
      expect(await published()).toEqual(['escalations', 'video_jobs']);
    } finally {
      await t.db.query('drop publication supabase_realtime');
    }
    await t.db.query('create publication supabase_realtime for all tables');
    try {
      await t.db.query(unpublish.sql);
      expect(await published()).toContain('video_tasks');
    } finally {
      await t.db.query('drop publication supabase_realtime');
    }
  });
});
