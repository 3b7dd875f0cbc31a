/**
 * The dashboard with two video providers: a real `npm start` whose jobs default to the local
 * stand-in and may name Luma (the real `lumaai` client against the Luma wire double), in a real
 * headless Chromium. The new-explainer form offers the choice; a scene that failed on the stand-in
 * is retried on Luma from the job page, and the scene card says where and at what length it was
 * made. The retry dialog is saved at phone and desktop widths under tests/screenshots/.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLumaWire, type LumaWire } from './doubles/luma-wire.js';
import { accessibilityProblems, launchChromium, screenshots, VIEWPORTS, watchConsole } from './support/browser.js';
import { startLocalStack, type RunningStack } from './support/local-stack.js';
import { sampleMp4 } from './support/wired.js';

let luma: LumaWire | undefined;
let stack: RunningStack | undefined;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  luma = await startLumaWire({ pollsUntilDone: 1, video: await sampleMp4(await mkdtemp(path.join(os.tmpdir(), 'dashboard-luma-'))) });
  stack = await startLocalStack('dashboard-providers', {
    LOCAL_VIDEO_DELAY_MS: '500',
    VIDEO_PROVIDER: 'local',
    LUMA_API_KEY: luma.apiKey,
    LUMA_BASE_URL: luma.baseUrl,
    LUMA_MODEL: 'ray-2',
    // A scene made again after a failure on the provider's side waits this long before its new
    // start: long enough for the page (polling every 1–5 s) to show it trying again.
    POLL_MIN_SECONDS: '8',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORTS.desktop });
  watchConsole(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await luma?.close();
});

/** From the open new-explainer form: the answer in 4 s clips, previewed (`scenes` names the heading), then generated. */
async function generate(answer: string, scenes: RegExp): Promise<void> {
  await page.getByLabel('Your answer').fill(answer);
  await page.getByLabel('Clip length').selectOption('4');
  await page.getByRole('button', { name: 'Preview the scenes' }).click();
  await page.getByRole('heading', { name: scenes }).waitFor();
  await page.getByRole('button', { name: 'Generate the explainer' }).click();
  await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
}

describe('the dashboard with two providers', () => {
  it('offers the provider in the form, and a failed scene is retried on the other one', async () => {
    await page.goto(`${stack!.base}/`);
    await page.getByRole('button', { name: 'Continue as the demo professor' }).click();
    await page.getByRole('heading', { name: 'Your explainers' }).waitFor();
    await page.getByRole('link', { name: 'New', exact: true }).click();
    const provider = page.getByLabel('Video provider');
    await provider.waitFor();
    expect(await provider.locator('option').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/Luma/)]));
    await generate('Bees dance to tell each other where the flowers are.\n\nThe angle of the dance [[fails-once]] points along the sun.', /2 scenes/);

    const retry = page.getByRole('button', { name: 'Retry failed scenes' });
    await retry.waitFor({ timeout: 90_000 });
    await retry.click();
    const dialog = page.getByRole('dialog', { name: 'Retry the failed scenes?' });
    const on = dialog.getByLabel('Make the clips on');
    await on.waitFor();
    expect(await on.inputValue()).toBe('local');
    await on.selectOption('luma');
    await dialog.getByText(/does not make is changed to its nearest/).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'retry-other-provider');
    const creates = luma!.creates.length;
    await dialog.getByRole('button', { name: 'Retry' }).click();

    await page.waitForFunction(() => document.querySelectorAll('.scene-card .badge-completed').length === 2 && !document.querySelector('.scene-card .badge-failed'), undefined, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video[data-primary]')?.readyState! >= 2, undefined, { timeout: 60_000 });
    // Exactly the failed scene went to Luma, at the nearest length Luma makes, and its card says so.
    expect(luma!.creates.length - creates).toBe(1);
    expect(String(luma!.creates.at(-1)!.prompt)).toContain('The angle of the dance');
    const moved = page.locator('.scene-card').nth(1);
    await moved.getByText(/Luma.*, 5 s/).waitFor();
    await moved.getByText('Made at 5 s on Luma Dream Machine, which makes 5 or 9 s clips (ray-2); this scene asked for 4 s').waitFor();
    await page.locator('.scene-card').nth(0).getByText(/Local stand-in|local/i).first().waitFor();
    await screenshots(page, 'job-retried-on-luma');
  });

  it("makes a scene again by itself when the provider failed it on its side, and the card says it is trying again, not that it failed", async () => {
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.goto(`${stack!.base}/#/new`);
    await page.getByLabel('Your answer').waitFor();
    await generate('Lightning heats the air [[restarts-once]] until it bursts outward as thunder.', /1 scene/);

    const card = page.locator('.scene-card').first();
    await card.getByText('Trying again after:').waitFor({ timeout: 60_000 });
    await card.getByText(/failed this generation on its side once on purpose/).waitFor();
    expect(await card.locator('.badge-failed').count()).toBe(0);
    expect(await page.getByText('Why it failed:').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'job-scene-trying-again');

    await page.waitForFunction(() => document.querySelector('.scene-card .badge-completed') !== null, undefined, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video[data-primary]')?.readyState! >= 2, undefined, { timeout: 60_000 });
    // Made again without the professor: no retry was ever offered, and the note is gone with the clip.
    expect(await page.getByRole('button', { name: 'Retry failed scenes' }).count()).toBe(0);
    expect(await card.getByText('Trying again after:').count()).toBe(0);
  });
});
