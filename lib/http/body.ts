/**
 * Reads a JSON request body with a hard size limit, counting bytes as they stream in so an
 * oversized body is refused without being held in memory.
 */
import { httpError } from './respond.ts';

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
