/**
 * Vercel-style filesystem routing over `api/`, for the local server: `api/video/jobs/[id].ts`
 * serves `/api/video/jobs/:id` with `id` added to the query string, exactly as Vercel hands a
 * dynamic segment to the function.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorResponse, httpError } from '../http/respond.js';

type Handler = (request: Request) => Response | Promise<Response>;
type Module = Partial<Record<string, Handler>> & { default?: { fetch?: Handler } };

interface Route {
  file: string;
  pattern: RegExp;
  params: string[];
  /** Static routes win over dynamic ones, as on Vercel. */
  dynamic: boolean;
  load: () => Promise<Module>;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return listFiles(full);
      return /\.(ts|js|mjs)$/.test(e.name) && !/\.test\./.test(e.name) ? [full] : [];
    }),
  );
  return nested.flat();
}

function routeFor(apiDir: string, file: string): Route {
  const rel = path.relative(apiDir, file).replace(/\.(ts|js|mjs)$/, '').split(path.sep);
  if (rel.at(-1) === 'index') rel.pop();
  const params: string[] = [];
  const parts = rel.map((segment) => {
    const m = /^\[(\w+)\]$/.exec(segment);
    if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    params.push(m[1]!);
    return '([^/]+)';
  });
  let mod: Promise<Module> | undefined;
  return {
    file,
    pattern: new RegExp(`^/api${parts.length ? `/${parts.join('/')}` : ''}/?$`),
    params,
    dynamic: params.length > 0,
    load: () => (mod ??= import(pathToFileURL(file).href) as Promise<Module>),
  };
}

/** A dynamic segment as the handler gets it; undefined when its percent-escapes are malformed. */
function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export async function createApiRouter(apiDir: string): Promise<(request: Request) => Promise<Response | undefined>> {
  const routes = (await listFiles(apiDir)).map((f) => routeFor(apiDir, f)).sort((a, b) => Number(a.dynamic) - Number(b.dynamic));
  return async (request) => {
    const url = new URL(request.url);
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      for (const [i, name] of route.params.entries()) {
        const value = decodeSegment(match[i + 1]!);
        // `%E0%A4%A` is the caller's mistake: a 400 naming the segment, not a 500 "URI malformed".
        if (value === undefined) return errorResponse(httpError(400, 'invalid_request', `Invalid path: ${name}`, { [name]: 'is not valid percent-encoding' }));
        url.searchParams.set(name, value);
      }
      const mod = await route.load();
      const handler = mod[request.method] ?? mod.default?.fetch;
      if (!handler) {
        const allowed = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => mod[m]);
        return Response.json(
          { error: { code: 'method_not_allowed', message: `${request.method} is not allowed here` } },
          { status: 405, headers: { allow: allowed.join(', ') } },
        );
      }
      return handler(new Request(url, request));
    }
    return undefined;
  };
}
