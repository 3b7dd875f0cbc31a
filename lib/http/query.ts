/**
 * A query string against a strict zod schema, the way every GET endpoint reads it: each parameter
 * at most once, no unknown ones, and a 400 naming every bad one.
 */
import { z } from 'zod';
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

/**
 * A count in the query string (a page size, a number of ticks): whole, 1 to `max`, `fallback` when
 * absent. Digits only, no longer than `max` has, so "1e2" or a thousand zeros never reach Number.
 */
export function countParam(max: number, fallback: number, description: string) {
  const message = `must be a whole number from 1 to ${max}`;
  return z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`), message)
    .transform(Number)
    .pipe(z.number().int().min(1, message).max(max, `must be at most ${max}`))
    .default(fallback)
    .meta({ description });
}
