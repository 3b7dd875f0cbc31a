/**
 * The dashboard signing in as it does in production: supabase-js in a real Chromium against an
 * in-process Supabase Auth (tests/doubles/auth-wire.ts) and Storage double behind one project
 * URL, with `npm start` verifying the tokens through that project's JWKS, exactly as against
 * Supabase. Password, a wrong password, sign-out (the session ends at Auth too), and a magic link
 * with PKCE.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/db/embedded.js';
import { startAuthWire, type AuthWire } from './doubles/auth-wire.js';
import { startStorageWire, type StorageWire } from './doubles/storage-wire.js';
import { accessibilityProblems, launchChromium, screenshots, VIEWPORTS, watchConsole } from './support/browser.js';
import { localStackEnv, runScript, waitFor } from './support/local-stack.js';

const PUBLISHABLE_KEY = 'sb_publishable_test-dashboard-0001';
const PROFESSOR = { id: '3c9a1f0e-5b7d-4e2a-9c1b-7d6e5f4a3b21', email: 'ada@university.test', password: 'correct horse battery' };

let child: ChildProcess | undefined;
let dir: string | undefined;
let browser: Browser | undefined;
let auth: AuthWire | undefined;
let storage: StorageWire | undefined;
let page: Page;
let base: string;
let console_: ReturnType<typeof watchConsole>;
const output = { text: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'video-dashboard-supabase-'));
  await chmod(dir, 0o755);
  storage = await startStorageWire();
  auth = await startAuthWire({ publishableKey: PUBLISHABLE_KEY, users: [PROFESSOR], forward: storage.url });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = runScript('start', {
    ...localStackEnv(dir, port),
    SUPABASE_URL: auth.url,
    SUPABASE_SERVICE_ROLE_KEY: storage.serviceKey,
    SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
  }, output);
  await waitFor(child, /Explainer video service on/, output, 90_000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORTS.desktop });
  console_ = watchConsole(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGINT');
    await new Promise((resolve) => child!.once('exit', resolve));
  }
  await auth?.close();
  await storage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboard with Supabase Auth', () => {
  it('offers email and password, and says so when the password is wrong', async () => {
    console_.expectStatus(400);
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(PROFESSOR.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').textContent()).toBe('The email or password is not right');
    await screenshots(page, 'supabase-sign-in-refused');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('signs in with the password; the API accepts the Supabase token; sign-out ends the session at Auth', async () => {
    await page.getByLabel('Password').fill(PROFESSOR.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('No explainers yet.').waitFor();
    expect(await page.locator('.user-name').textContent()).toBe(PROFESSOR.email);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('explainer-dashboard.session')!).accessToken as string);
    // The API took it for this professor: the list above loaded with it, and so does the job list by hand.
    expect((await fetch(`${base}/api/video/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    expect(auth!.requests.some((r) => r.method === 'POST' && r.path === '/logout')).toBe(true);
    // The ended session's token no longer reads the user at Auth.
    const user = await fetch(`${auth!.url}/auth/v1/user`, { headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${token}`, 'x-supabase-api-version': '2024-01-01' } });
    expect(user.status).toBe(403);
    expect(await user.json()).toEqual({ code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' });
  });

  it('signs in with a magic link (PKCE): the link comes back with a code the page exchanges', async () => {
    await page.getByLabel('Email').fill(PROFESSOR.email);
    await page.getByRole('button', { name: 'Email me a sign-in link instead' }).click();
    await page.getByText(`We sent a sign-in link to ${PROFESSOR.email}`).waitFor();
    await screenshots(page, 'supabase-link-sent');
    const link = auth!.outbox.at(-1)!;
    expect(link.email).toBe(PROFESSOR.email);
    await page.goto(link.link);
    await page.getByText('No explainers yet.').waitFor();
    expect(await page.locator('.user-name').textContent()).toBe(PROFESSOR.email);
    // The code is spent and gone from the address bar.
    expect(new URL(page.url()).searchParams.has('code')).toBe(false);
    expect(auth!.requests.filter((r) => r.path === '/token').length).toBeGreaterThanOrEqual(3);
  });

  it('logged no console error along the way', () => {
    expect(console_.errors).toEqual([]);
  });
});
