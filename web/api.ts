/**
 * The dashboard's one way to the API: bearer auth from the session, JSON both ways, and every
 * failure as an ApiError carrying what the page shows (the field errors by name, when to try
 * again after a 429). A 401 ends the session, so no view keeps polling with a dead token.
 */
import type { JobView } from '../lib/jobs/view.js';
import type { JobList } from '../lib/jobs/schemas.js';
import type { Session } from './session.js';

export type { JobView, JobList };
export type JobSummary = JobList['jobs'][number];

/** Generate with a model storyboard may take most of a minute; anything longer is a dead request. */
const REQUEST_TIMEOUT_MS = 60_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    /** Seconds, from Retry-After (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; fields?: Record<string, string> };
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface Api {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
}

function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export function createApi(session: Session): Api {
  return {
    async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
      const token = session.token();
      if (!token) throw new ApiError(401, 'signed_out', 'You are signed out');
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
      let response: Response;
      // A server that never answers must not leave a view loading forever.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
      const abort = () => timeout.abort();
      options.signal?.addEventListener('abort', abort, { once: true });
      try {
        response = await fetch(path, {
          method: options.method ?? 'GET',
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: timeout.signal,
          cache: 'no-store',
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (timeout.signal.aborted) throw new ApiError(0, 'timeout', 'The server did not answer in time');
        throw new ApiError(0, 'network', 'The server could not be reached');
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', abort);
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (response.ok) return body as T;
      const error = (body as ErrorBody | undefined)?.error;
      const failure = new ApiError(
        response.status,
        error?.code ?? 'http_error',
        error?.message ?? `The server answered ${response.status}`,
        error?.fields ?? {},
        retryAfterSeconds(response.headers.get('retry-after')),
      );
      if (response.status === 401) session.expire(failure.message);
      throw failure;
    },
  };
}
