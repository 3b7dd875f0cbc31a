/**
 * A real headless Chromium for the page tests: Debian's `chromium` (`.ci/run` installs it when
 * missing), driven by playwright-core. CHROMIUM_PATH names another binary.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', 'screenshots');

export const VIEWPORTS = {
  phone: { width: 360, height: 740 },
  desktop: { width: 1280, height: 860 },
} as const;

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
}

/** Saves the page at phone and desktop widths as `<name>-phone.png` and `<name>-desktop.png`, then restores the size. */
export async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // Let layout settle after the resize (no animation depends on it).
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${label}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/**
 * Console errors and uncaught exceptions, minus the ones a browser prints for an HTTP error status
 * a test provoked on purpose (Chromium logs every 4xx a fetch receives, and no page can stop it).
 */
export function watchConsole(page: Page): { errors: string[]; expectStatus(status: number): void } {
  const errors: string[] = [];
  const expected = new Set<number>();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const status = /the server responded with a status of (\d{3})/.exec(text);
    if (status && expected.has(Number(status[1]))) return;
    errors.push(text);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return { errors, expectStatus: (status) => expected.add(status) };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * WCAG 2.1 A and AA problems axe-core finds on the page as it is now (contrast, labels, names,
 * landmarks…), as "rule: target" lines. Evaluated through the DevTools protocol, which the page's
 * content security policy does not govern, so the policy stays on while it runs.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, options: object) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}
