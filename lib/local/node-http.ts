/**
 * Bridges node:http to Web-standard Request/Response, streaming both ways, so the local server
 * runs the same handlers Vercel runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The request's path and query under the server's own origin. An absolute request-target
 * (`POST http://evil.example/api/...`) keeps only its path: the host a client names is never
 * taken for ours.
 */
export function requestUrl(target: string | undefined, origin: string): URL {
  const raw = target ?? '/';
  const parsed = new URL(raw, 'http://request-target.invalid');
  return new URL(`${parsed.pathname}${parsed.search}`, origin);
}

export function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
    else if (value !== undefined) headers.set(key, value);
  }
  const method = req.method ?? 'GET';
  const controller = new AbortController();
  req.on('close', () => {
    if (!req.complete) controller.abort();
  });
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(requestUrl(req.url, origin), {
    method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
}

export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => res.setHeader(key, value));
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  await new Promise<void>((resolve, reject) => {
    body.on('error', reject);
    res.on('close', resolve);
    body.pipe(res);
  });
}
