/**
 * Reads a JSON request body with a hard size limit, counting bytes as they stream in so an
 * oversized body is refused without being held in memory.
 */
import { httpError } from './respond.js';

export const MAX_BODY_BYTES = 64 * 1024;

export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw httpError(415, 'unsupported_media_type', 'Content-Type must be application/json', { 'content-type': type || '(missing)' });
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw httpError(413, 'payload_too_large', `Body is larger than ${limit} bytes`);
  }
  const text = await readText(request, limit);
  if (text.trim() === '') throw httpError(400, 'invalid_json', 'Body is empty; expected a JSON object', { '(body)': 'is empty' });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw httpError(400, 'invalid_json', `Body is not valid JSON: ${(err as Error).message}`, { '(body)': 'is not valid JSON' });
  }
}

async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw httpError(413, 'payload_too_large', `Body is larger than ${limit} bytes`);
    }
    parts.push(value);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(parts));
}

/**
 * For POSTs whose parameters are all optional (retry): no body or an empty one is `{}`; anything
 * else is read as readJsonBody reads it, for the caller's schema to judge.
 */
export async function readOptionalJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.trim() === '') return {};
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw httpError(415, 'unsupported_media_type', 'Content-Type must be application/json', { 'content-type': type || '(missing)' });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw httpError(400, 'invalid_json', `Body is not valid JSON: ${(err as Error).message}`, { '(body)': 'is not valid JSON' });
  }
}

/**
 * For POSTs that take no parameters (cancel): no body, an empty body, or `{}` are fine;
 * anything else is refused naming what is wrong, so a client's mistaken field never passes silently.
 */
export async function readEmptyBody(request: Request): Promise<void> {
  const text = await readText(request, MAX_BODY_BYTES);
  if (text.trim() === '') return;
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw httpError(415, 'unsupported_media_type', 'Content-Type must be application/json', { 'content-type': type || '(missing)' });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw httpError(400, 'invalid_json', 'Body is not valid JSON', { '(body)': 'is not valid JSON' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw httpError(400, 'invalid_request', 'Body must be an empty JSON object or absent', { '(body)': 'must be {} or absent' });
  }
  const unknown = Object.keys(body);
  if (unknown.length > 0) {
    throw httpError(400, 'invalid_request', `Unknown fields: ${unknown.join(', ')}`, Object.fromEntries(unknown.map((k) => [k, 'is not a known field'])));
  }
}
