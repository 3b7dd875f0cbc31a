/**
 * What Vercel needs from this repository, checked without deploying: every function in `api/`
 * exports Web-standard handlers and has a maxDuration, the cron hits a real function, and imports
 * use `.js` specifiers (Vercel compiles each function to ESM and keeps specifiers as written, so a
 * `.ts` or extensionless relative import fails at runtime with ERR_MODULE_NOT_FOUND).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)])),
  );
  return nested.flat().filter((f) => f.endsWith('.ts'));
}

const vercel = JSON.parse(await readFile(path.join(root, 'vercel.json'), 'utf8')) as {
  functions: Record<string, { maxDuration: number; includeFiles?: string }>;
  crons: Array<{ path: string; schedule: string }>;
};

describe('Vercel layout', () => {
  it('every api/ file exports GET/POST handlers taking a Request, and has a maxDuration', async () => {
    const files = await filesUnder('api');
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const mod = (await import(path.join(root, file))) as Record<string, unknown>;
      const handlers = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => typeof mod[m] === 'function');
      expect(handlers, file).not.toHaveLength(0);
      expect(vercel.functions[file]?.maxDuration, file).toBeGreaterThan(0);
    }
    for (const configured of Object.keys(vercel.functions)) expect(files).toContain(configured);
  });

  it('the poll function may run a full tick, and the cron calls it every minute', () => {
    expect(vercel.functions['api/video/poll.ts']!.maxDuration).toBe(60);
    expect(vercel.crons).toEqual([{ path: '/api/video/poll', schedule: '* * * * *' }]);
  });

  it('relative imports in api/, lib/ and scripts/ use .js specifiers', async () => {
    const offenders: string[] = [];
    for (const file of [...(await filesUnder('api')), ...(await filesUnder('lib')), ...(await filesUnder('scripts'))]) {
      const text = await readFile(path.join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        if (!m[1]!.endsWith('.js')) offenders.push(`${file}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('Supabase layout', () => {
  it("the bucket in supabase/config.toml accepts every content type the service stores", async () => {
    const toml = await readFile(path.join(root, 'supabase', 'config.toml'), 'utf8');
    const allowed = JSON.parse(/^allowed_mime_types = (\[.*\])$/m.exec(toml)![1]!) as string[];
    // Clips, cuts and variations; posters; stills (lib/tasks/imagen-still.ts); manifests (lib/tasks/manifest.ts).
    for (const type of ['video/mp4', 'image/jpeg', 'image/png', 'image/webp', 'application/json']) expect(allowed).toContain(type);
  });
});
