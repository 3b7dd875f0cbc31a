/**
 * Bridges node:http to Web-standard Request/Response, streaming both ways, so the local server
 * runs the same handlers Vercel runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

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

/** `stop` aborts the request's signal too: a GET is "complete" once its headers arrive, so only shutdown can stop its work. */
export function toRequest(req: IncomingMessage, origin: string, stop?: AbortSignal): Request {
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
    signal: stop ? AbortSignal.any([controller.signal, stop]) : controller.signal,
    ...(hasBody ? { body: bodyStream(req), duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * The request body as a Web stream. A handler that stops reading (a 413 past 64 KB) cancels it;
 * cancelling must not destroy the socket, as Readable.toWeb does: the client, still sending,
 * would get a reset instead of the answer. The rest is left to sendResponse to drain.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let finished = false;
  const done = (settle: () => void) => {
    if (finished) return;
    finished = true;
    settle();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => done(() => controller.close()));
      req.once('error', (err) => done(() => controller.error(err)));
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      finished = true;
      req.removeAllListeners('data');
      req.pause();
    },
  }, { highWaterMark: 1 });
}

/** How much of an unread request body is read and dropped so its answer arrives, not a reset. */
export const DRAIN_LIMIT = { bytes: 1024 * 1024, ms: 5000 } as const;

/**
 * After answering a request whose body was not read to its end: the rest is read and dropped so
 * the client, still sending, gets the answer and can send its next request on the connection.
 * Not `Connection: close`: node then closes the socket with the body unread, which is the reset.
 * Past the bounds the socket is destroyed: nobody gets to stream forever.
 */
function drainThenClose(req: IncomingMessage): void {
  let drained = 0;
  // The body stream's own listener would pause the request again once its queue is full.
  req.removeAllListeners('data');
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_LIMIT.ms);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.byteLength;
    if (drained > DRAIN_LIMIT.bytes) req.socket.destroy();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

export async function sendResponse(res: ServerResponse, response: Response, req?: IncomingMessage): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => res.setHeader(key, value));
  if (req && !req.complete && req.method !== 'GET' && req.method !== 'HEAD') {
    drainThenClose(req);
  }
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  // A body that fails mid-way ends the response as a cut connection (the status is already sent).
  body.on('error', (err) => res.destroy(err));
  body.pipe(res);
  // finished() also settles for a response whose client went away before this line (a page that
  // aborted its poll): waiting for its 'close' event, long emitted, would hold the request, and
  // so npm start's shutdown, forever.
  await finished(res).catch(() => undefined);
  body.destroy();
}
