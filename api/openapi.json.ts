/**
 * GET /api/openapi.json — the OpenAPI 3.1 document, generated from the handlers' own zod schemas
 * (lib/openapi.ts). Public: it describes the API, it exposes no data.
 */
import { errorResponse, json } from '../lib/http/respond.js';
import { openApiDocument } from '../lib/openapi.js';
import { services } from '../lib/services.js';

let cached: { config: object; body: Record<string, unknown> } | undefined;

export async function GET(_request: Request): Promise<Response> {
  try {
    const { config } = services();
    // servers[] comes from config.publicBaseUrl, never from the request: the answer is cached
    // publicly, and a request's Host is the client's choice.
    if (cached?.config !== config) cached = { config, body: openApiDocument(config) };
    return json(cached.body, 200, { 'cache-control': 'public, max-age=300' });
  } catch (err) {
    return errorResponse(err);
  }
}
