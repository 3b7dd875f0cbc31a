/**
 * The local server's node:http side: each request goes through the injected routes in order
 * (the first answer wins), then a JSON 404. Routes are Web-standard handlers, as on Vercel; the
 * API router, the file route and any later static route are all just entries in `routes`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorResponse } from '../http/respond.js';
import { sendResponse, toRequest } from './node-http.js';

export type LocalRoute = (request: Request) => Promise<Response | undefined> | Response | undefined;

export interface LocalServerOptions {
  /** The listen origin every request URL is built under (config.publicBaseUrl). */
  origin: string;
  routes: LocalRoute[];
}

function notFound(pathname: string): Response {
  return Response.json({ error: { code: 'not_found', message: `Nothing at ${pathname.slice(0, 200)}` } }, { status: 404 });
}

export function createLocalServer(options: LocalServerOptions): Server {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const request = toRequest(req, options.origin);
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
  const server = createServer((req, res) => void handle(req, res));
  return server;
}
