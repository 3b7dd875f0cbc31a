/**
 * Builds the dashboard: `web/` bundled by esbuild into `public/` (what Vercel serves as static
 * output, and what the local server serves at `/`). The script and stylesheet get content hashes
 * in their names, so they can be cached for good; `index.html` names them and is written last.
 * Every file lands by rename, so a page load during a build (or two `npm start`s building at
 * once) never sees half a file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

export interface DashboardBuild {
  /** Paths under `public/`, e.g. `assets/main-3F2A….js`. */
  script: string;
  stylesheet: string;
  /** Bytes of the initial JavaScript, before compression. */
  scriptBytes: number;
}

async function writeAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, file);
}

export async function buildDashboard(root: string): Promise<DashboardBuild> {
  const webDir = path.join(root, 'web');
  const outDir = path.join(root, 'public');
  const assetsDir = path.join(outDir, 'assets');
  const result = await build({
    entryPoints: [path.join(webDir, 'main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years: what Supabase's own dashboard supports.
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assetsDir,
    write: false,
    metafile: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  await mkdir(assetsDir, { recursive: true });
  const written = new Set<string>();
  let script: string | undefined;
  let stylesheet: string | undefined;
  let scriptBytes = 0;
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    await writeAtomically(path.join(assetsDir, name), file.contents);
    written.add(name);
    if (name.endsWith('.js')) {
      script = `assets/${name}`;
      scriptBytes = file.contents.byteLength;
    } else if (name.endsWith('.css')) stylesheet = `assets/${name}`;
  }
  if (!script || !stylesheet) throw new Error('dashboard build: esbuild made no script or no stylesheet');
  const template = await readFile(path.join(webDir, 'index.html'), 'utf8');
  const html = template
    .replace('<!-- stylesheet -->', `<link rel="stylesheet" href="/${stylesheet}">`)
    .replace('<!-- script -->', `<script type="module" src="/${script}"></script>`);
  if (!html.includes(script) || !html.includes(stylesheet)) throw new Error('dashboard build: web/index.html lacks the <!-- stylesheet --> or <!-- script --> slot');
  for (const asset of ['favicon.svg']) await writeAtomically(path.join(outDir, asset), await readFile(path.join(webDir, asset)));
  await writeAtomically(path.join(outDir, 'index.html'), html);
  // Assets of earlier builds: index.html no longer names them.
  for (const old of await readdir(assetsDir)) {
    if (!written.has(old) && !old.endsWith('.tmp')) await rm(path.join(assetsDir, old), { force: true });
  }
  return { script, stylesheet, scriptBytes };
}
