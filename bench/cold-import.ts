/**
 * Figure 5, cold import of the poll function: api/video/poll.ts compiled to JavaScript the way a
 * deployment runs it (dependencies left in node_modules), imported by a fresh `node` process.
 * Median of 7 processes; also the cost of each heavy SDK alone, to show where the time goes.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { median } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 7;

export interface ColdImportResult {
  medianMs: number;
  runsMs: number[];
  sdkMs: Record<string, number>;
}

async function timeImport(specifier: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } });
  return Number(stdout.trim().split('\n').pop());
}

export async function coldImport(): Promise<ColdImportResult> {
  const outDir = path.join(ROOT, 'node_modules', '.bench-cold-import');
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, 'poll.mjs');
  try {
    await build({
      entryPoints: [path.join(ROOT, 'api/video/poll.ts')],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });
    const runsMs: number[] = [];
    for (let i = 0; i < RUNS; i++) runsMs.push(await timeImport(outfile));
    const sdkMs: Record<string, number> = {};
    // Loaded at import: pg, zod. On first use only, listed for scale: the rest.
    for (const sdk of ['pg', 'zod', '@google/genai', 'lumaai', '@supabase/storage-js', 'jose', 'date-fns']) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) times.push(await timeImport(sdk));
      sdkMs[sdk] = median(times);
    }
    return { medianMs: median(runsMs), runsMs, sdkMs };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
