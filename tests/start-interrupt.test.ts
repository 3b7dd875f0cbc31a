/**
 * Ctrl-C while a poll that came in over HTTP is running: shutdown aborts that tick, waits for it
 * to give its leases back and answer its client, and only then closes the pool and PostgreSQL.
 * The proof is the next `npm start` on the same data: it gives back every lease a stopped
 * npm start left (and says how many), and here it finds none, then finishes the job.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/db/embedded.js';
import { localStackEnv, runScript, waitFor } from './support/local-stack.js';

const ANSWER = [
  'Sound is a wave of pressure moving through the air.',
  'A drum skin pushes the air as it shakes back and forth.',
  'The pushes travel outward as regions of higher and lower pressure.',
  'Our eardrums shake in step with them, and the brain hears a sound.',
].join('\n\n');

const procs: ChildProcess[] = [];
let dir: string | undefined;
afterAll(async () => {
  for (const proc of procs) if (proc.exitCode === null) proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

function exitOf(proc: ChildProcess): Promise<number | null> {
  return proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((resolve) => proc.once('exit', resolve));
}

describe('Ctrl-C during a poll over HTTP', () => {
  it('answers the poll, gives every lease back before the pool closes, and the next start finishes the job', { timeout: 240_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'video-interrupt-'));
    await chmod(dir, 0o755);
    const port = await freePort();
    // The scheduler stays out of the way: the only tick is the one this test asks for over HTTP.
    const env = { ...localStackEnv(dir, port), LOCAL_SCHEDULER_SECONDS: '3600', LOCAL_VIDEO_DELAY_MS: '1500' };
    const base = `http://127.0.0.1:${port}`;
    const first = { text: '' };
    const proc = runScript('start', env, first);
    procs.push(proc);
    const [, token] = await waitFor(proc, /export TOKEN=(\S+)/, first, 90_000);
    const [, databaseUrl] = first.text.match(/psql (postgres:\/\/\S+)/)!;

    const created = await fetch(`${base}/api/video/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ response: ANSWER, durationSeconds: 4 }),
    });
    expect(created.status).toBe(202);
    const { statusUrl } = (await created.json()) as { statusUrl: string };

    // The poll lingers for the scenes' operations and then stores their videos, holding leases.
    const polled = fetch(`${base}/api/video/poll`).then(
      async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }),
      (err: unknown) => ({ status: 0, body: { error: String(err) } }),
    );
    const client = new pg.Client({ connectionString: databaseUrl! });
    let held = 0;
    try {
      await client.connect();
      const deadline = Date.now() + 60_000;
      while (held === 0 && Date.now() < deadline) {
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from video_tasks where locked_by is not null`);
        held = rows[0]!.n;
      }
    } finally {
      // Its connection must not keep PostgreSQL from stopping.
      await client.end();
    }
    expect(held, 'the tick never held a lease: nothing to interrupt').toBeGreaterThan(0);

    proc.kill('SIGINT');
    const answer = await polled;
    // The client gets the tick's answer (what it did before it was stopped), not an empty reply.
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ stoppedBecause: 'aborted' });
    expect(await exitOf(proc)).toBe(0);
    expect(first.text).toContain('SIGINT: stopping…');

    const again = { text: '' };
    const second = runScript('start', { ...env, LOCAL_SCHEDULER_SECONDS: '1' }, again);
    procs.push(second);
    await waitFor(second, /export TOKEN=/, again, 90_000);
    expect(again.text).not.toMatch(/gave back \d+ lease/);
    let status = '';
    for (let i = 0; i < 120 && status !== 'completed' && status !== 'failed'; i++) {
      status = ((await (await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
      if (status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe('completed');
    second.kill('SIGINT');
    expect(await exitOf(second)).toBe(0);
  });
});
