/**
 * The pinned Supabase CLI (devDependency `supabase`, the one `npx supabase` runs) applies
 * supabase/migrations to a fresh database without Docker: `supabase migration up --db-url`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'node_modules', '.bin', 'supabase');

async function tables(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ t: string }>("select table_schema || '.' || table_name as t from information_schema.tables where table_schema = 'public' order by 1");
    return r.rows.map((row) => row.t);
  } finally {
    await c.end();
  }
}

describe('Supabase CLI (pinned)', () => {
  it('is the pinned 2.117.0 and `migration up --db-url` applies every migration to a fresh database', { timeout: 120_000 }, async () => {
    expect((await run(CLI, ['--version'])).stdout.trim()).toBe('2.117.0');
    const adminUrl = inject('adminDatabaseUrl');
    const name = `cli_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    // The embedded server speaks no TLS, and the CLI asks for it unless told otherwise.
    const cliUrl = `${url.toString()}?sslmode=disable`;
    try {
      const { stdout, stderr } = await run(CLI, ['migration', 'up', '--db-url', cliUrl, '--workdir', ROOT], { env: { ...process.env, DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1' } });
      expect(`${stdout}${stderr}`).toMatch(/Applying migration/);
      const template = new URL(adminUrl);
      template.pathname = `/${inject('templateDatabase')}`;
      const expected = await tables(template.toString());
      expect(expected.length).toBeGreaterThan(3);
      expect(await tables(url.toString())).toEqual(expected);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
