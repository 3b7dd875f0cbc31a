/**
 * Applies supabase/migrations/*.sql in order. This is the only code that runs schema SQL.
 * Applied versions are recorded in the Supabase CLI's own table, so `supabase db push` and this
 * runner agree on what a database already has.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './pool.js';
import { withTransaction } from './pool.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

const FILE_NAME = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`Migration file name must be <14-digit timestamp>_<name>.sql: ${file}`);
      return { version: match[1]!, name: match[2]!, sql: await readFile(path.join(dir, file), 'utf8') };
    }),
  );
}

/** Applies every migration not yet recorded; returns the versions it applied. Safe to run concurrently. */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return withTransaction(db, async (client) => {
    // One migrator at a time, whoever else starts (two cold starts, a test worker and the server).
    await client.query(`select pg_advisory_xact_lock(hashtext('supabase_migrations'))`);
    await client.query(`create schema if not exists supabase_migrations`);
    await client.query(
      `create table if not exists supabase_migrations.schema_migrations (
         version text primary key, statements text[], name text)`,
    );
    const { rows } = await client.query<{ version: string }>(`select version from supabase_migrations.schema_migrations`);
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(
        `insert into supabase_migrations.schema_migrations (version, statements, name) values ($1, $2, $3)`,
        [m.version, [m.sql], m.name],
      );
      applied.push(m.version);
    }
    return applied;
  });
}
