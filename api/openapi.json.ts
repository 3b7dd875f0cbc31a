/**
 * GET /api/openapi.json — the OpenAPI 3.1 document, generated from the handlers' own zod schemas
 * (lib/openapi.ts). Public: it describes the API, it exposes no data.
 */
import { errorResponse, json } from '../lib/http/respond.js';
import { openApiDocument } from '../lib/openapi.js';
import { services } from '../lib/services.js';

let cached: { config: object; origin: string; body: Record<string, unknown> } | undefined;

export async function GET(request: Request): Promise<Response> {
  try {
    const { config } = services();
    // The deployment's own address, not the local default: Vercel serves it under its domain.
    const origin = new URL(request.url).origin;
    if (cached?.config !== config || cached.origin !== origin) cached = { config, origin, body: openApiDocument(config, origin) };
    return json(cached.body, 200, { 'cache-control': 'public, max-age=300' });
  } catch (err) {
    return errorResponse(err);
  }
}
