/**
 * `npm start` after a crash: kill -9 leaves the embedded PostgreSQL running on the data directory;
 * the next start stops that orphan and comes up, and the job finishes. While the first is alive, a
 * second start on the same data is refused with one line naming the pid, no stack trace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/db/embedded.js';
import { localStackEnv } from './support/local-stack.js';

const procs: ChildProcess[] = [];
let dir: string | undefined;
afterAll(async () => {
  for (const proc of procs) if (proc.exitCode === null) proc.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(env: NodeJS.ProcessEnv, output: { text: string }): ChildProcess {
  const proc = spawn(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (output.text += d));
  proc.stderr!.on('data', (d) => (output.text += d));
  procs.push(proc);
  return proc;
}

async function waitFor(output: { text: string }, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = output.text.match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${output.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start after kill -9', () => {
  it('refuses a second live instance by pid, then recovers the orphaned PostgreSQL and finishes the job', { timeout: 240_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'video-crash-'));
    await chmod(dir, 0o755);
    const port = await freePort();
    const env = localStackEnv(dir, port);
    const first = { text: '' };
    start(env, first);
    const [, token] = await waitFor(first, /export TOKEN=(\S+)/, 90_000);
    const owner = JSON.parse(await readFile(`${path.join(dir, 'postgres')}.owner.json`, 'utf8')) as { pid: number };

    const second = { text: '' };
    const refused = start({ ...env, PORT: String(await freePort()) }, second);
    const code = await new Promise<number | null>((resolve) => refused.on('exit', resolve));
    expect(code).toBe(1);
    expect(second.text.trim().split('\n')).toEqual([expect.stringContaining(`(pid ${owner.pid})`)]);

    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/api/video/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ response: 'Plants make food from light. Roots drink water.', durationSeconds: 4 }),
    });
    expect(created.status).toBe(202);
    const { statusUrl } = (await created.json()) as { statusUrl: string };

    // The crash: the process that owns the data dies at once, its PostgreSQL does not.
    process.kill(owner.pid, 'SIGKILL');
    await waitFor({ get text() { return procs[0]!.exitCode !== null || procs[0]!.signalCode ? 'gone' : ''; } }, /gone/, 30_000);

    const again = { text: '' };
    start(env, again);
    await waitFor(again, /stopped the PostgreSQL a crashed npm start left running[\s\S]*export TOKEN=/, 90_000);
    let status = '';
    for (let i = 0; i < 120 && status !== 'completed' && status !== 'failed'; i++) {
      status = ((await (await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
      if (status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe('completed');
  });
});
