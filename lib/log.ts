/**
 * One structured JSON line per event. Values that look like secrets or signed URLs are
 * redacted here so no caller can leak them by accident.
 */

type Fields = Record<string, unknown>;

const SECRET_KEY = /key|token|secret|password|authorization|signature/i;
const SIGNED_QUERY = /([?&](?:token|key|X-Goog-Signature|sig|signature)=)[^&\s"]+/gi;

function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return '[redacted]';
    return value.replace(SIGNED_QUERY, '$1[redacted]');
  }
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value instanceof Error) return redact(value.message, key);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

let silent = process.env.LOG_LEVEL === 'silent';

export function setLogSilent(value: boolean): void {
  silent = value;
}

export function log(event: string, fields: Fields = {}): void {
  if (silent) return;
  const t = new Date().toISOString();
  const line: Fields = { t, event, ...(redact(fields) as Fields) };
  // Set again so a field of the same name cannot replace them (they keep their place in front).
  line.t = t;
  line.event = event;
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
