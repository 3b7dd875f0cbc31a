/**
 * Serves the built dashboard (`public/`, made by `npm run build`) as Vercel serves its static
 * output: `/` is `index.html`, the paths vercel.json rewrites to it (lib/dashboard/page-paths.ts)
 * too, any other path is the file of that name, and every answer carries
 * the page's security headers. Hashed assets are cached for good; `index.html` is always asked
 * for again, so a new build is picked up at the next load.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PAGE_REWRITES } from '../dashboard/page-paths.js';
import { pageHeaders, type PageSources } from '../dashboard/security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** `/a/b.js` as a path inside `dir`, or undefined for anything that would leave it or name a hidden file. */
function fileFor(dir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return undefined;
  if (segments.length === 0) segments.push('index.html');
  return path.join(dir, ...segments);
}

export function createStaticRoute(dir: string, sources: PageSources): (request: Request) => Promise<Response | undefined> {
  const security = pageHeaders(sources);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const requested = new URL(request.url).pathname;
    if (requested.startsWith('/api/')) return undefined;
    // Vercel matches a rewrite's source exactly, so `/ops/` is not rewritten there either.
    const pathname = PAGE_REWRITES.find((r) => r.source === requested)?.destination ?? requested;
    const file = fileFor(dir, pathname);
    if (!file) return undefined;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = pathname.startsWith('/assets/');
    const body = request.method === 'HEAD' ? null : await readFile(file);
    return new Response(body, {
      headers: {
        ...security,
        'content-type': type,
        'content-length': String(info.size),
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  };
}
