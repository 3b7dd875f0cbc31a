/**
 * The local server's node:http side: each request goes through the injected routes in order
 * (the first answer wins), then a JSON 404. Routes are Web-standard handlers, as on Vercel; the
 * API router, the file route and any later static route are all just entries in `routes`.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponse } from '../http/respond.js';
import type { BackgroundWork } from './background.js';
import { sendResponse, toRequest } from './node-http.js';

export type LocalRoute = (request: Request) => Promise<Response | undefined> | Response | undefined;

export interface LocalServerOptions {
  /** The listen origin every request URL is built under (config.publicBaseUrl). */
  origin: string;
  routes: LocalRoute[];
  /** Each request runs as background work: shutdown aborts its signal and waits for its answer. */
  background?: BackgroundWork;
}

function notFound(pathname: string): Response {
  return Response.json({ error: { code: 'not_found', message: `Nothing at ${pathname.slice(0, 200)}` } }, { status: 404 });
}

const PARSE_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request line or headers are larger than the server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request did not arrive in time'],
};

/**
 * A request node:http cannot parse (headers over its limit, a Content-Length that does not match
 * the bytes, a malformed request line) never reaches a handler; node's own answer is a bare
 * status line. The same JSON error shape as every other answer is written instead.
 */
function answerParseError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, code, message] = PARSE_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'The request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function createLocalServer(options: LocalServerOptions): Server {
  const handle = async (req: IncomingMessage, res: ServerResponse, stop?: AbortSignal) => {
    try {
      const request = toRequest(req, options.origin, stop);
      let response: Response | undefined;
      for (const route of options.routes) {
        response = await route(request);
        if (response) break;
      }
      await sendResponse(res, response ?? notFound(new URL(request.url).pathname), req);
    } catch (err) {
      // As on Vercel: the error is logged, the answer holds no internals.
      if (res.headersSent) res.destroy();
      else await sendResponse(res, errorResponse(err), req).catch(() => res.destroy());
    }
  };
  const { background } = options;
  const server = createServer((req, res) => {
    if (background) void background.run(`${req.method} ${req.url?.slice(0, 100)}`, (signal) => handle(req, res, signal));
    else void handle(req, res);
  });
  server.on('clientError', answerParseError);
  return server;
}
