/**
 * The dashboard signing in as it does in production: supabase-js in a real Chromium against an
 * in-process Supabase Auth (tests/doubles/auth-wire.ts) and Storage double behind one project
 * URL, with `npm start` verifying the tokens through that project's JWKS, exactly as against
 * Supabase. Password, a wrong password, sign-out (the session ends at Auth too), and a magic link
 * with PKCE.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthWire, type AuthWire } from './doubles/auth-wire.js';
import { startRealtimeWire, type RealtimeWire } from './doubles/realtime-wire.js';
import { startStorageWire, type StorageWire } from './doubles/storage-wire.js';
import { accessibilityProblems, launchChromium, screenshots, VIEWPORTS, watchConsole } from './support/browser.js';
import { startLocalStack, type RunningStack } from './support/local-stack.js';

const PUBLISHABLE_KEY = 'sb_publishable_test-dashboard-0001';
const PROFESSOR = { id: '3c9a1f0e-5b7d-4e2a-9c1b-7d6e5f4a3b21', email: 'ada@university.test', password: 'correct horse battery' };
const OTHER = { id: '8e2d4c6b-1a3f-4b5d-8c7e-9f0a1b2c3d4e', email: 'grace@university.test', password: 'another long passphrase' };
/** An operator by the claim Supabase lets only the service role write. */
const OPERATOR = { id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a', email: 'ops@university.test', password: 'operators passphrase here', appMetadata: { role: 'admin' } };

let stack: RunningStack | undefined;
let browser: Browser | undefined;
let auth: AuthWire | undefined;
let storage: StorageWire | undefined;
let realtime: RealtimeWire | undefined;
let page: Page;
let base: string;
let console_: ReturnType<typeof watchConsole>;

beforeAll(async () => {
  storage = await startStorageWire();
  auth = await startAuthWire({ publishableKey: PUBLISHABLE_KEY, users: [PROFESSOR, OTHER, OPERATOR], forward: storage.url,
    // Short enough that supabase-js refreshes it during the test (it refreshes within 90 s of expiry).
    accessTokenSeconds: 120 });
  stack = await startLocalStack('dashboard-supabase', {
    SUPABASE_URL: auth.url,
    SUPABASE_SERVICE_ROLE_KEY: storage.serviceKey,
    SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    // Long enough to watch a job move while Realtime is up.
    LOCAL_VIDEO_DELAY_MS: '5000',
  });
  base = stack.base;
  // Realtime reads the changes from the very database npm start uses (the banner's psql line).
  const databaseUrl = /psql (postgres:\/\/\S+)/.exec(stack.output.text)![1]!;
  realtime = await startRealtimeWire(auth, { databaseUrl, publishableKey: PUBLISHABLE_KEY, tables: ['video_jobs'] });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORTS.desktop });
  console_ = watchConsole(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  // Its connections to npm start's PostgreSQL first, or stopping that database waits for them.
  await realtime?.close();
  await stack?.stop();
  await auth?.close();
  await storage?.close();
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

  it('supabase-js refreshes the session before it expires; the page and the API carry on with the new token', async () => {
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('explainer-dashboard.session')!).accessToken as string);
    const refreshed = () => auth!.requests.some((r) => r.path === '/token' && r.grant === 'refresh_token');
    for (let i = 0; i < 90 && !refreshed(); i++) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refreshed()).toBe(true);
    await page.waitForFunction((old) => JSON.parse(sessionStorage.getItem('explainer-dashboard.session')!).accessToken !== old, before);
    const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('explainer-dashboard.session')!).accessToken as string);
    expect((await fetch(`${base}/api/video/jobs`, { headers: { authorization: `Bearer ${after}` } })).status).toBe(200);
    expect(await page.locator('.user-name').textContent()).toBe(PROFESSOR.email);
  });

  it('follows a job through Realtime: each change pokes the page, which polls only every 15 s meanwhile', async () => {
    await page.goto(`${base}/#/`);
    await page.getByRole('link', { name: 'New', exact: true }).click();
    await page.getByLabel('Your answer').fill('Light bends when it passes from air into water.\n\nThat is why a straw in a glass looks broken at the surface.');
    await page.getByLabel('Clip length').selectOption('4');
    await page.getByRole('button', { name: 'Preview the scenes' }).click();
    await page.getByRole('heading', { name: /2 scenes/ }).waitFor();
    await page.getByRole('button', { name: 'Generate the explainer' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('[data-live="true"]').waitFor({ timeout: 15_000 });
    const jobId = page.url().split('/').at(-1)!;
    const reads: number[] = [];
    page.on('request', (r) => void (r.url().endsWith(`/api/video/jobs/${jobId}`) && reads.push(Date.now())));
    const before = realtime!.delivered.get(PROFESSOR.id) ?? 0;
    const started = Date.now();
    await page.waitForFunction(() => document.querySelector('[aria-label="Explainer progress"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 60_000 });
    await screenshots(page, 'supabase-job-live');
    // Changes arrived for this professor, and the page read the job when they did: far more often
    // than the 15 s safety-net poll would have in the time the job took.
    expect((realtime!.delivered.get(PROFESSOR.id) ?? 0) - before).toBeGreaterThan(0);
    const seconds = (Date.now() - started) / 1000;
    expect(reads.length).toBeGreaterThan(Math.floor(seconds / 15) + 1);
  });

  it('survives a dropped socket: polls while it is down, and is live again when realtime-js rejoins', async () => {
    realtime!.dropAll();
    await page.locator('[data-live="false"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-live="true"]').waitFor({ timeout: 30_000 });
    expect(realtime!.open()).toBeGreaterThan(0);
  });

  it('a second professor, signed in at the same time, receives none of the first one\'s changes', async () => {
    const other = await browser!.newPage({ viewport: VIEWPORTS.phone });
    const otherConsole = watchConsole(other);
    await other.goto(`${base}/`);
    await other.getByLabel('Email').fill(OTHER.email);
    await other.getByLabel('Password').fill(OTHER.password);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByText('No explainers yet.').waitFor();
    // The first professor makes another explainer while the second one's socket is subscribed.
    await page.goto(`${base}/#/`);
    await page.getByRole('link', { name: 'New', exact: true }).click();
    await page.getByLabel('Your answer').fill('Sound is a wave of pressure moving through the air around us.');
    await page.getByRole('button', { name: 'Preview the scenes' }).click();
    await page.getByRole('heading', { name: /1 scene/ }).waitFor();
    const before = realtime!.delivered.get(PROFESSOR.id) ?? 0;
    await page.getByRole('button', { name: 'Generate the explainer' }).click();
    await page.waitForFunction(() => document.querySelector('[aria-label="Explainer progress"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 60_000 });
    expect((realtime!.delivered.get(PROFESSOR.id) ?? 0) - before).toBeGreaterThan(0);
    expect(realtime!.delivered.get(OTHER.id) ?? 0).toBe(0);
    expect(await other.locator('.job-row').count()).toBe(0);
    expect(otherConsole.errors).toEqual([]);
    await other.close();
  });

  it('offers the operator view to a user whose app_metadata says admin, and not to a professor', async () => {
    // The professor is signed in here: no menu entry.
    await page.goto(`${base}/#/`);
    await page.getByRole('heading', { name: 'Your explainers' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).count()).toBe(0);
    const ops = await browser!.newPage({ viewport: VIEWPORTS.desktop });
    const opsConsole = watchConsole(ops);
    await ops.goto(`${base}/ops`);
    await ops.getByLabel('Email').fill(OPERATOR.email);
    await ops.getByLabel('Password').fill(OPERATOR.password);
    await ops.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ops.getByRole('heading', { name: 'Operations' }).waitFor();
    await ops.getByRole('heading', { name: 'Latest ticks' }).waitFor();
    expect(await ops.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).getAttribute('aria-current')).toBe('page');
    expect(opsConsole.errors).toEqual([]);
    await ops.close();
  });

  it('logged no console error along the way', () => {
    expect(console_.errors).toEqual([]);
  });
});
