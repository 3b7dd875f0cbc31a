/**
 * The migrations in supabase/migrations apply to a real, empty PostgreSQL, are recorded where the
 * Supabase CLI records them, and applying them again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate, readMigrations } from '../lib/db/migrate.js';
import { createPool, type Db } from '../lib/db/pool.js';

let db: Db;
const name = `t_migrate_${process.pid}`;
const admin = () => new pg.Client({ connectionString: inject('adminDatabaseUrl') });

beforeAll(async () => {
  const c = admin();
  await c.connect();
  await c.query(`drop database if exists ${name}`);
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  db = createPool(url.toString());
});

afterAll(async () => {
  await db.end();
  const c = admin();
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
});

async function schemaSnapshot(): Promise<string> {
  const { rows } = await db.query(`
    select table_name || '.' || column_name || ':' || data_type || ':' || is_nullable as col
      from information_schema.columns where table_schema = 'public' order by 1`);
  const idx = await db.query(`select indexdef from pg_indexes where schemaname = 'public' order by 1`);
  return [...rows.map((r) => r.col), ...idx.rows.map((r) => r.indexdef)].join('\n');
}

describe('migrations', () => {
  it('use Supabase CLI file naming', async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    for (const m of migrations) expect(m.version).toMatch(/^\d{14}$/);
  });

  it('apply to an empty database and record each version in supabase_migrations', async () => {
    const applied = await migrate(db);
    const all = await readMigrations();
    expect(applied).toEqual(all.map((m) => m.version));
    const { rows } = await db.query('select version from supabase_migrations.schema_migrations order by version');
    expect(rows.map((r) => r.version)).toEqual(applied);
  });

  it('a second run applies nothing and leaves the schema as it was', async () => {
    const before = await schemaSnapshot();
    expect(await migrate(db)).toEqual([]);
    expect(await schemaSnapshot()).toBe(before);
  });

  it('each migration file is itself idempotent when re-run by hand', async () => {
    const before = await schemaSnapshot();
    for (const m of await readMigrations()) await db.query(m.sql);
    expect(await schemaSnapshot()).toBe(before);
  });

  it('every foreign key has an index leading with its columns, so deleting a job never scans a table', async () => {
    const { rows } = await db.query<{ constraint: string }>(`
      select c.conrelid::regclass || '.' || c.conname as constraint
        from pg_constraint c
       where c.contype = 'f' and c.connamespace = 'public'::regnamespace
         and not exists (
           select 1 from pg_index i
            where i.indrelid = c.conrelid
              and (i.indkey::smallint[])[0:cardinality(c.conkey) - 1] = c.conkey)
       order by 1`);
    expect(rows.map((r) => r.constraint)).toEqual([]);
  });

  it("every function in public fixes its search_path (Supabase's linter: function_search_path_mutable)", async () => {
    const { rows } = await db.query<{ fn: string }>(`
      select p.proname as fn from pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
       order by 1`);
    expect(rows.map((r) => r.fn)).toEqual([]);
  });

  it('state columns only accept the states the code knows', async () => {
    await expect(db.query(`insert into escalations (response, video_generation_status) values ('x', 'weird')`)).rejects.toThrow(/check constraint/);
  });
});
