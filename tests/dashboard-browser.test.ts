/**
 * The dashboard as a professor uses it: a real `npm start` (embedded PostgreSQL, local store,
 * local Veo stand-in, local scheduler) and a real headless Chromium. Sign in, preview and edit a
 * storyboard, generate, watch it finish live, play the final cut, cancel, retry a failure, meet a
 * field error and a 429, and see that a second professor sees none of it. Every view is saved at
 * phone and desktop widths under tests/screenshots/.
 */
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, launchChromium, screenshots, VIEWPORTS, watchConsole } from './support/browser.js';
import { startLocalStack, type RunningStack } from './support/local-stack.js';
import { foldIdleTicks, type TickLike } from '../web/ops-format.js';

const CLIP_SECONDS = 4;
/** The local stand-in renders at 12 fps: two frames. */
const FRAME_TOLERANCE = 2 / 12;
const ANSWER = [
  'The moon makes no light of its own; it shines because sunlight falls on it.',
  'As the moon circles the earth over about a month, we see more or less of its sunlit half.',
  'When it sits between us and the sun we see only its dark side: that is the new moon.',
].join('\n\n');

let stack: RunningStack | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;
let console_: ReturnType<typeof watchConsole>;

beforeAll(async () => {
  stack = await startLocalStack('dashboard', {
    LOCAL_VIDEO_DELAY_MS: '2500',
    // Three jobs an hour: the fourth generate of the test is the 429.
    QUOTA_JOBS_PER_HOUR: '3',
    QUOTA_ACTIVE_JOBS: '0',
    OPS_ADMIN_USER_IDS: OPERATOR,
  });
  base = stack.base;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORTS.desktop });
  console_ = watchConsole(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const PHASES_QUESTION = 'Why does the moon have phases?';
const SECOND_PROFESSOR = '9f1c6b8e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';
/** Named in OPS_ADMIN_USER_IDS: the operator. */
const OPERATOR = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f';
let firstJobId = '';

/** Fills the new-explainer form and opens the storyboard preview. */
async function previewOf(answer: string, question = '') {
  // Through the list, so the form opens afresh even when the last step left it on #/new.
  await page.goto(`${base}/#/`);
  await page.getByRole('link', { name: 'New', exact: true }).click();
  await page.getByLabel('Your answer').waitFor();
  await page.getByLabel("Student's question (optional)").fill(question);
  await page.getByLabel('Your answer').fill(answer);
  // Only the stand-in is configured: the form offers no provider choice.
  expect(await page.getByLabel('Video provider').count()).toBe(0);
  await page.getByLabel('Clip length').selectOption(String(CLIP_SECONDS));
  await page.getByRole('button', { name: 'Preview the scenes' }).click();
}

async function generateFromPreview(): Promise<string> {
  await page.getByRole('button', { name: 'Generate the explainer' }).click();
  await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
  return page.url().split('/').at(-1)!;
}

const progressOf = () => page.getByRole('progressbar', { name: 'Explainer progress' });

describe('the dashboard in Chromium', () => {
  it('opens at / with the development sign-in, and signs in as the demo professor', async () => {
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('button', { name: 'Continue as the demo professor' }).waitFor();
    await screenshots(page, 'sign-in');
    expect(await accessibilityProblems(page)).toEqual([]);
    // By keyboard: the first Tab reaches the sign-in button, with a visible focus ring, and Enter presses it.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle, width: getComputedStyle(el).outlineWidth };
    });
    expect(focused).toEqual({ text: 'Continue as the demo professor', outline: 'solid', width: '3px' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your explainers' }).waitFor();
    await page.getByText('No explainers yet.').waitFor();
    expect(await page.locator('.user-name').textContent()).toBe('Demo professor');
    await screenshots(page, 'jobs-empty');
  });

  it('puts the API\'s refusal of a bad answer on the answer field', async () => {
    console_.expectStatus(400);
    await previewOf('The bell\u0007 rings at noon.');
    const error = page.locator('#response-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('control characters');
    expect(await page.getByLabel('Your answer').getAttribute('aria-invalid')).toBe('true');
    await screenshots(page, 'new-field-error');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('previews three scenes, takes an edit, generates, and reaches 100 % live, without a reload', async () => {
    await previewOf(ANSWER, PHASES_QUESTION);
    await page.getByRole('heading', { name: `3 scenes, ${3 * CLIP_SECONDS} seconds in all` }).waitFor();
    await screenshots(page, 'preview');
    expect(await accessibilityProblems(page)).toEqual([]);
    const edited = 'As the moon circles the earth we see more or less of its sunlit half (edited by the professor).';
    await page.getByLabel('Scene 2', { exact: true }).fill(edited);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    // Two clicks before the button can re-render as disabled: one request, with an Idempotency-Key.
    const posted: Array<Record<string, string>> = [];
    page.on('request', (r) => void (r.method() === 'POST' && r.url().endsWith('/api/video/generate') && posted.push(r.headers())));
    await page.getByRole('button', { name: 'Generate the explainer' }).evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
    });
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    firstJobId = page.url().split('/').at(-1)!;
    expect(posted).toHaveLength(1);
    expect(posted[0]!['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: PHASES_QUESTION }).waitFor();
    // Progress updates must not move the page around: layout shifts from here on, without input.
    await page.evaluate(() => {
      const w = window as unknown as { shift: number };
      w.shift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) if (!entry.hadRecentInput) w.shift += entry.value;
      }).observe({ type: 'layout-shift' });
    });
    await screenshots(page, 'job-running');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.waitForFunction(() => document.querySelector('[aria-label="Explainer progress"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 90_000 });
    await page.locator('.view-head .badge-completed').waitFor();
    // The same document all along: progress came from polling, not from a reload.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await progressOf().getAttribute('aria-valuenow')).toBe('100');
    await page.getByText(edited).waitFor();
    expect(await page.evaluate(() => (window as unknown as { shift: number }).shift)).toBeLessThan(0.05);
  });

  it('plays the final cut: ready to play, as long as its scenes together', async () => {
    const duration = await page.waitForFunction(() => {
      const video = document.querySelector<HTMLVideoElement>('video[data-primary]');
      return video && video.readyState >= 2 ? video.duration : false;
    }, undefined, { timeout: 30_000 });
    expect(Math.abs((await duration.jsonValue()) as number - 3 * CLIP_SECONDS)).toBeLessThanOrEqual(FRAME_TOLERANCE);
    expect(await page.locator('video[data-primary]').getAttribute('poster')).toMatch(/poster\.jpg/);
    expect(await page.getByRole('link', { name: 'Download' }).getAttribute('href')).toMatch(/final\.mp4\?token=/);
    await screenshots(page, 'job-done');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('signs a media URL afresh when it stops working (an expired signed URL)', async () => {
    // Storage refuses an expired token with a 400; the page reads the job again and plays on.
    let refused = 0;
    await page.route('**/final.mp4?token=*', async (route) => {
      if (refused++ === 0) await route.fulfill({ status: 400, contentType: 'application/json', body: '{"statusCode":"400","error":"InvalidJWT","message":"jwt expired"}' });
      else await route.continue();
    });
    const reread = page.waitForResponse((r) => r.url().endsWith(`/api/video/jobs/${firstJobId}`));
    await page.locator('video[data-primary]').evaluate((video: HTMLVideoElement) => video.load());
    await reread;
    await page.waitForFunction(() => {
      const video = document.querySelector<HTMLVideoElement>('video[data-primary]');
      return video?.dataset.generation === '1' && video.readyState >= 2;
    }, undefined, { timeout: 30_000 });
    expect(refused).toBe(2);
    await page.unrouteAll();
  });

  it('cancels a running job after confirmation', async () => {
    await previewOf('Tides rise and fall twice every day on most coasts.\n\nThe moon pulls the oceans towards it as the earth turns.');
    await page.getByRole('heading', { name: /2 scenes/ }).waitFor();
    await generateFromPreview();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('dialog', { name: 'Cancel this explainer?' }).waitFor();
    await screenshots(page, 'cancel-dialog');
    await page.getByRole('button', { name: 'Cancel the explainer' }).click();
    await page.locator('.view-head .badge-canceled').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    await screenshots(page, 'job-canceled');
  });

  it('retries a scene that failed, and the explainer completes', async () => {
    await previewOf('Seasons come from the tilt of the earth.\n\nIn June the north leans towards the sun [[fails-once]] and days are long.');
    await page.getByRole('heading', { name: /2 scenes/ }).waitFor();
    await generateFromPreview();
    const retry = page.getByRole('button', { name: 'Retry failed scenes' });
    await retry.waitFor({ timeout: 90_000 });
    await page.getByText('it failed this scene once on purpose').waitFor();
    await screenshots(page, 'job-scene-failed');
    await retry.click();
    const dialog = page.getByRole('dialog', { name: 'Retry the failed scenes?' });
    await dialog.waitFor();
    // One provider (the stand-in): nothing to choose, and the dialog says what makes the clip.
    expect(await dialog.getByLabel('Make the clips on').count()).toBe(0);
    await dialog.getByText('Each new clip is a new Local stand-in operation.').waitFor();
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.scene-card .badge-completed').length === 2 && !document.querySelector('.scene-card .badge-failed'), undefined, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video[data-primary]')?.readyState! >= 2, undefined, { timeout: 60_000 });
    expect(await retry.count()).toBe(0);
  });

  it('says when the professor may try again after a 429', async () => {
    console_.expectStatus(429);
    await previewOf('Rainbows appear when sunlight passes through raindrops.');
    await page.getByRole('heading', { name: /1 scene/ }).waitFor();
    await page.getByRole('button', { name: 'Generate the explainer' }).click();
    const notice = page.locator('.notice-warning');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/try again in \d+ minutes? \(at \d{1,2}:\d{2}/);
    expect(page.url()).toMatch(/#\/new$/);
    await screenshots(page, 'new-quota');
  });

  it('lists the jobs newest first with their state, pages through the cursor, and filters by status', async () => {
    // Pages of two (the page asks for 20): the third job is on the second page, behind the cursor.
    await page.route('**/api/video/jobs?*', (route) => route.continue({ url: route.request().url().replace('limit=20', 'limit=2') }));
    await page.goto(`${base}/#/`);
    const rows = page.locator('.job-row');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Show older explainers' }).click();
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    expect(await page.getByRole('button', { name: 'Show older explainers' }).count()).toBe(0);
    await page.unrouteAll();
    expect(await rows.first().textContent()).toContain('Seasons come from the tilt');
    expect(await rows.last().textContent()).toContain(PHASES_QUESTION);
    await page.locator('.job-row img').first().waitFor();
    await screenshots(page, 'jobs-list');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('navigation', { name: 'Filter by status' }).getByRole('link', { name: 'Canceled' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.job-row').length === 1);
    expect(await rows.first().textContent()).toContain('Tides rise and fall');
  });

  it('a second professor sees none of the first one\'s jobs', async () => {
    console_.expectStatus(404);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Or sign in as another user id').fill(SECOND_PROFESSOR);
    await page.getByRole('button', { name: 'Sign in as this user' }).click();
    await page.goto(`${base}/#/`);
    await page.getByText('No explainers yet.').waitFor();
    await page.goto(`${base}/#/jobs/${firstJobId}`);
    await page.getByText('There is no such explainer, or it is not yours.').waitFor();
    await screenshots(page, 'job-not-yours');
  });

  it('refuses the operator view to a plain professor, and shows an operator the queue, latency and ticks', async () => {
    console_.expectStatus(403);
    // Still the second professor: no menu entry, and /ops says who may see it.
    await page.goto(`${base}/#/`);
    await page.getByRole('heading', { name: 'Your explainers' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).count()).toBe(0);
    await page.goto(`${base}/ops`);
    expect(page.url()).toBe(`${base}/#/ops`);
    await page.getByText('This view is for operators.').waitFor();
    await screenshots(page, 'ops-refused');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Or sign in as another user id').fill(OPERATOR);
    await page.getByRole('button', { name: 'Sign in as this user' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Operations' }).waitFor();
    await page.getByRole('heading', { name: 'Latest ticks' }).waitFor();
    // What the page shows is what the API answered it: the answer to a refresh, read off the wire
    // (a separate read could see a tick the scheduler ran in between).
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/video/metrics' && r.ok()),
      page.getByRole('button', { name: 'Refresh' }).click(),
    ]);
    const metrics = (await answer.json()) as { inFlight: { operations: number; maxInFlight: number }; veoLatency: { lastDay: { operations: number } }; ticks: TickLike[] };
    expect(metrics.ticks.length).toBeGreaterThan(0);
    // The first explainer's three scenes and the retried one's two, at least, were stored today.
    expect(metrics.veoLatency.lastDay.operations).toBeGreaterThanOrEqual(5);
    const stat = (label: string) => page.locator('.stat', { has: page.locator('.stat-label', { hasText: label }) }).locator('.stat-value');
    expect(await stat('Operations in flight').textContent()).toMatch(new RegExp(`^\\d+ of ${metrics.inFlight.maxInFlight}$`));
    const lastDay = page.getByRole('row', { name: /Last 24 hours/ });
    expect(Number(await lastDay.locator('td').first().textContent())).toBeGreaterThanOrEqual(5);
    expect(await page.getByRole('row', { name: /Video scenes/ }).count()).toBe(1);
    // Runs of idle ticks fold into one row each; every tick is in one row.
    await expect.poll(() => page.locator('.ticks tbody tr').count()).toBe(foldIdleTicks(metrics.ticks).length);
    expect(await page.locator('.ticks tbody tr').first().locator('td').last().textContent()).toMatch(/^(Nothing more due|Ran out of time|Shut down)$/);
    await screenshots(page, 'ops');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('a refused session signs out with the reason and offers to sign in again', async () => {
    console_.expectStatus(401);
    await page.evaluate(() => {
      const key = 'explainer-dashboard.session';
      const session = JSON.parse(sessionStorage.getItem(key)!);
      sessionStorage.setItem(key, JSON.stringify({ ...session, accessToken: `${session.accessToken.slice(0, -4)}AAAA` }));
    });
    await page.goto(`${base}/#/`);
    await page.reload();
    await page.getByText(/The server refused your session/).waitFor();
    await page.getByRole('button', { name: 'Continue as the demo professor' }).waitFor();
    await screenshots(page, 'session-refused');
  });

  it('the running server refuses development sign-in addressed to another name (DNS rebinding)', async () => {
    const { port } = new URL(base);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/auth/dev/token', method: 'POST', headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('access_token');
  });

  it('logged no console error along the way', () => {
    expect(console_.errors).toEqual([]);
  });
});
