/**
 * What Vercel needs from this repository, checked without deploying: every function in `api/`
 * exports Web-standard handlers and has a maxDuration, the cron hits a real function, and imports
 * use `.js` specifiers (Vercel compiles each function to ESM and keeps specifiers as written, so a
 * `.ts` or extensionless relative import fails at runtime with ERR_MODULE_NOT_FOUND).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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

  it("the poll function's includeFiles ships exactly the files @ffmpeg-installer/ffmpeg loads at runtime", async () => {
    // lib/media/ffmpeg.ts loads the installer through createRequire(import.meta.url)(…), which
    // Vercel's file tracing does not follow, and the installer finds its binary by a computed
    // path: without includeFiles the built function has neither and every render fails with
    // "Cannot find module '@ffmpeg-installer/ffmpeg'". So the wrapper package (index.js,
    // lib/verify-file.js, package.json) and the platform package (binary, package.json) must be
    // matched by the glob, which Vercel resolves from the project root; nothing else of theirs
    // (the wrapper's tarball also holds editor backups and a stray .env).
    const require = createRequire(path.join(root, 'lib', 'media', 'ffmpeg.ts'));
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    const installerDir = path.dirname(require.resolve('@ffmpeg-installer/ffmpeg/package.json'));
    const loaded = Object.keys(require.cache).filter((f) => f.startsWith(path.dirname(installerDir) + path.sep));
    const needed = [...loaded, installer.path].map((f) =>
      // Vercel runs linux-x64 whatever this machine is.
      path.relative(root, f).split(path.sep).join('/').replace(`/${process.platform}-${process.arch}/`, '/linux-x64/'),
    );
    for (const file of ['index.js', 'lib/verify-file.js', 'package.json']) expect(needed).toContain(`node_modules/@ffmpeg-installer/ffmpeg/${file}`);
    expect(needed).toContain('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    expect(needed).toContain('node_modules/@ffmpeg-installer/linux-x64/package.json');
    const pattern = vercel.functions['api/video/poll.ts']!.includeFiles;
    expect(pattern).toBeDefined();
    // path.matchesGlob: Node 20.17+ (experimental there, stable in 22), minimatch syntax like Vercel's glob.
    const unmatched = needed.filter((f) => !path.matchesGlob(f, pattern!));
    expect(unmatched).toEqual([]);
    const shipped: string[] = [];
    for (const dir of [installerDir, path.dirname(installer.path)]) {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
        const asOnVercel = file.replace(`/${process.platform}-${process.arch}/`, '/linux-x64/');
        if (path.matchesGlob(asOnVercel, pattern!)) shipped.push(asOnVercel);
      }
    }
    expect(shipped.sort()).toEqual([...new Set(needed)].sort());
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
