/**
 * A query string against a strict zod schema, the way every GET endpoint reads it: each parameter
 * at most once, no unknown ones, and a 400 naming every bad one.
 */
import type { z } from 'zod';
import { fieldMap, httpError, zodFields } from './respond.js';

export function parseQuery<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const raw = fieldMap();
  const fields = fieldMap();
  for (const [key, value] of params) {
    if (key in raw) fields[key] = 'must be given at most once';
    raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) Object.assign(fields, zodFields(parsed.error));
  if (Object.keys(fields).length > 0 || !parsed.success) {
    throw httpError(400, 'invalid_request', `Invalid query: ${Object.keys(fields).join(', ')}`, fields);
  }
  return parsed.data;
}
