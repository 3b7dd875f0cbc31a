/**
 * The dashboard as a professor uses it: a real `npm start` (embedded PostgreSQL, local store,
 * local Veo stand-in, local scheduler) and a real headless Chromium. Sign in, preview and edit a
 * storyboard, generate, watch it finish live, play the final cut, cancel, retry a failure, meet a
 * field error and a 429, and see that a second professor sees none of it. Every view is saved at
 * phone and desktop widths under tests/screenshots/.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/db/embedded.js';
import { launchChromium, screenshots, VIEWPORTS, watchConsole } from './support/browser.js';
import { localStackEnv, runScript, waitFor } from './support/local-stack.js';

const CLIP_SECONDS = 4;
/** The local stand-in renders at 12 fps: two frames. */
const FRAME_TOLERANCE = 2 / 12;
const ANSWER = [
  'The moon makes no light of its own; it shines because sunlight falls on it.',
  'As the moon circles the earth over about a month, we see more or less of its sunlit half.',
  'When it sits between us and the sun we see only its dark side: that is the new moon.',
].join('\n\n');

let child: ChildProcess | undefined;
let dir: string | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;
let console_: ReturnType<typeof watchConsole>;
const output = { text: '' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'video-dashboard-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = runScript('start', {
    ...localStackEnv(dir, port),
    LOCAL_VIDEO_DELAY_MS: '2500',
    // Three jobs an hour: the fourth generate of the test is the 429.
    QUOTA_JOBS_PER_HOUR: '3',
    QUOTA_ACTIVE_JOBS: '0',
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
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('opens at / with the development sign-in, and signs in as the demo professor', async () => {
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('button', { name: 'Continue as the demo professor' }).waitFor();
    await screenshots(page, 'sign-in');
    await page.getByRole('button', { name: 'Continue as the demo professor' }).click();
    await page.getByRole('heading', { name: 'Your explainers' }).waitFor();
    await page.getByText('No explainers yet.').waitFor();
    await expect(page.getByText('Demo professor')).toBeTruthy();
    await screenshots(page, 'jobs-empty');
  });
});
