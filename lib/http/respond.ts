/**
 * Response helpers and the single error shape every endpoint answers with:
 * `{ error: { code, message, fields? } }`.
 */
import { z } from 'zod';
import { AppError, coerceError } from '../errors.js';
import { ConfigError } from '../config.js';
import { log } from '../log.js';

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

export function httpError(status: number, code: string, message: string, fields?: Record<string, string>): AppError {
  return new AppError(code, message, { status, ...(fields ? { fields } : {}) });
}

/**
 * An empty map for names a client chose: without a prototype, so a field called `__proto__`
 * (or `toString`) is stored and reported like any other instead of vanishing or colliding.
 */
export function fieldMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** `{ "response": "Too big: …" }` from a zod error, keyed by the dotted path of each bad field. */
export function zodFields(error: z.ZodError): Record<string, string> {
  const fields = fieldMap();
  for (const issue of error.issues) {
    let key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) fields[key ? `${key}.${k}` : k] = 'is not a known field';
      continue;
    }
    if (!key) key = '(body)';
    fields[key] ??= issue.message;
  }
  return fields;
}

export function validationError(error: z.ZodError, what = 'request'): AppError {
  const fields = zodFields(error);
  const names = Object.keys(fields).join(', ');
  return httpError(400, 'invalid_request', `Invalid ${what}: ${names}`, fields);
}

/**
 * Error bodies repeat what the client sent (unknown field and parameter names, a bad header):
 * bounded, so a 12 KB query string cannot buy a 24 KB answer.
 */
export const ECHO_LIMITS = { name: 64, text: 200, fields: 20 } as const;

function clipped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function boundedFields(fields: Record<string, string>): Record<string, string> {
  const bounded = fieldMap();
  const names = Object.keys(fields);
  for (const name of names.slice(0, ECHO_LIMITS.fields)) bounded[clipped(name, ECHO_LIMITS.name)] = clipped(fields[name]!, ECHO_LIMITS.text);
  if (names.length > ECHO_LIMITS.fields) bounded['(more)'] = `${names.length - ECHO_LIMITS.fields} more not shown`;
  return bounded;
}

/** Turns anything thrown in a handler into the error shape; unexpected errors become a 500 without internals. */
export function errorResponse(thrown: unknown): Response {
  if (thrown instanceof AppError && thrown.status < 500) {
    const message = clipped(thrown.message, ECHO_LIMITS.text * 2);
    return json({ error: { code: thrown.code, message, ...(thrown.fields ? { fields: boundedFields(thrown.fields) } : {}) } }, thrown.status, { ...thrown.headers });
  }
  if (thrown instanceof ConfigError) {
    log('config.invalid', { variables: thrown.variables, message: thrown.message });
    return json({ error: { code: 'misconfigured', message: `Server misconfigured: ${thrown.variables.join(', ')}` } }, 500);
  }
  const err = coerceError(thrown);
  log('request.error', { message: err.message, stack: err.stack });
  if (thrown instanceof AppError) {
    // The message may hold internals; the headers (a Retry-After on a 503) are the error's own.
    return json({ error: { code: thrown.code, message: 'Internal error' } }, thrown.status, { ...thrown.headers });
  }
  return json({ error: { code: 'internal', message: 'Internal error' } }, 500);
}
