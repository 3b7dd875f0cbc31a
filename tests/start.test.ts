/**
 * `npm start` as a newcomer runs it: the real start script in its own process, with its embedded
 * PostgreSQL, local store, local Veo stand-in and local scheduler; the README's curl flow against
 * it over real HTTP; then Ctrl-C stops it (and Postgres) cleanly.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/db/embedded.js';
import { localStackEnv, runScript, waitFor } from './support/local-stack.js';
import { readMp4Info } from '../lib/media/mp4.js';

let child: ChildProcess | undefined;
let second: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  for (const proc of [second, child]) if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `npm run -s token` as a newcomer runs it: no PORT, whatever port the server listens on. */
function runTokenScript(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const out = { text: '' };
    runScript('token', env, out).on('exit', (code) => (code === 0 ? resolve(out.text.trim()) : reject(new Error(`token exited ${code}: ${out.text}`))));
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('brings the local stack up, serves the curl flow end to end, and stops cleanly on SIGINT', { timeout: 180_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'video-start-'));
    await chmod(dir, 0o755);
    const port = await freePort();
    const output = { text: '' };
    child = runScript('start', localStackEnv(dir, port), output);

    const [, token] = await waitFor(child, /export TOKEN=(\S+)/, output, 60_000);
    const pgPort = Number(output.text.match(/embedded PostgreSQL \(.*, port (\d+)\)/)![1]);
    const base = `http://127.0.0.1:${port}`;
    expect(output.text).toContain(`    curl -s ${base}/api/video/poll\n`);

    // A malformed percent-escape in the path is the caller's 400 naming the segment, not a 500.
    for (const [method, url] of [
      ['GET', `${base}/api/video/jobs/%E0%A4%A`],
      ['POST', `${base}/api/video/jobs/%zz/cancel`],
    ] as const) {
      const bad = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { error: { code: string; message: string; fields: Record<string, string> } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.fields).toEqual({ id: 'is not valid percent-encoding' });
    }

    const created = await fetch(`${base}/api/video/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ response: 'Plants make food from light. Roots drink water. Leaves breathe air.', durationSeconds: 4 }),
    });
    expect(created.status).toBe(202);
    const { jobId, statusUrl } = (await created.json()) as { jobId: string; statusUrl: string };
    expect(statusUrl).toBe(`${base}/api/video/jobs/${jobId}`);

    const unauthenticated = await fetch(statusUrl);
    expect(unauthenticated.status).toBe(401);

    const polled = await fetch(`${base}/api/video/poll`);
    expect(polled.status).toBe(200);
    expect(await polled.json()).toHaveProperty('created');

    let job: { status: string; scenes: Array<{ url: string }> } | undefined;
    for (let i = 0; i < 60; i++) {
      job = (await (await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof job;
      if (job!.status === 'completed' || job!.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(job!.status).toBe('completed');
    const video = await fetch(job!.scenes[0]!.url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const info = await readMp4Info(Buffer.from(await video.arrayBuffer()));
    expect(info.durationSeconds).toBeGreaterThan(3.5);

    // A second server on another port, with CRON_SECRET, on the same database and dev keys: the
    // banner's token from the first server and a token from `npm run token` (no PORT) both work.
    const secret = `cron-${port}-secret`;
    const port2 = await freePort();
    const output2 = { text: '' };
    second = runScript('start', {
      ...process.env,
      PORT: String(port2),
      CRON_SECRET: secret,
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
      LOCAL_STORAGE_DIR: path.join(dir, 'storage'),
      AUTH_DEV_KEYS_DIR: path.join(dir, 'dev-auth'),
      LOG_LEVEL: '',
      SUPABASE_URL: '',
      GEMINI_API_KEY: '',
      GOOGLE_API_KEY: '',
    }, output2);
    await waitFor(second, /export TOKEN=\S+[\s\S]*Try:[\s\S]*jobs\/<jobId>/, output2, 60_000);
    const base2 = `http://127.0.0.1:${port2}`;
    const { PORT: _port, ...withoutPort } = process.env;
    const minted = await runTokenScript({ ...withoutPort, AUTH_DEV_KEYS_DIR: path.join(dir, 'dev-auth'), SUPABASE_URL: '' });
    for (const bearer of [token!, minted]) {
      const res = await fetch(`${base2}/api/video/jobs/${jobId}`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(res.status).toBe(200);
    }
    expect(output2.text).toContain(`    curl -s ${base2}/api/video/poll -H "authorization: Bearer $CRON_SECRET"\n`);
    expect(output2.text).not.toContain(secret);
    expect((await fetch(`${base2}/api/video/poll`)).status).toBe(401);
    expect((await fetch(`${base2}/api/video/poll`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    const secondExited = new Promise<number | null>((resolve) => second!.on('exit', (code) => resolve(code)));
    second.kill('SIGINT');
    expect(await secondExited).toBe(0);

    expect(await portOpen(pgPort)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await portOpen(pgPort)).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });
});
