/**
 * The `api/` functions over real HTTP, routed as npm start routes them (lib/local/router.ts:
 * Vercel's file routing, a dynamic segment handed over as a query parameter) through the same
 * Node ↔ Web conversion (lib/local/node-http.ts), for doubles that call the service back (Luma's
 * callbacks). Handlers read the installed services, as on Vercel.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { errorResponse, httpError } from '../../lib/http/respond.js';
import { sendResponse, toRequest } from '../../lib/local/node-http.js';
import { createApiRouter } from '../../lib/local/router.js';

export interface ApiServer {
  origin: string;
  close: () => Promise<void>;
}

export async function serveApi(): Promise<ApiServer> {
  const route = await createApiRouter(path.join(import.meta.dirname, '..', '..', 'api'));
  let origin = '';
  const server = createServer((req, res) => {
    void (async () => {
      const request = toRequest(req, origin);
      const response = (await route(request)) ?? errorResponse(httpError(404, 'not_found', `No route for ${new URL(request.url).pathname}`));
      await sendResponse(res, response, req);
    })().catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
