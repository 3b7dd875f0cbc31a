/**
 * One error type for failures that carry a code, an HTTP status and whether a retry may help.
 * Catch blocks normalise unknown throwables with `coerceError`.
 */

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly fields?: Record<string, string>;
  /** Response headers the error asks for (WWW-Authenticate on a 401, Retry-After on a 429/503). */
  readonly headers?: Record<string, string>;

  constructor(
    code: string,
    message: string,
    options: {
      status?: number;
      retryable?: boolean;
      cause?: unknown;
      fields?: Record<string, string>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    if (options.fields) this.fields = options.fields;
    if (options.headers) this.headers = options.headers;
  }
}

export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/** Whether an error from a remote call is worth another try (429, 5xx, network, timeout). */
export function isRetryable(thrown: unknown): boolean {
  if (thrown instanceof AppError) return thrown.retryable;
  const err = coerceError(thrown);
  const status = statusOf(err);
  if (status !== undefined) return isRetryableStatus(status);
  // Data that fails its schema fails it again: a stored task input this code cannot read.
  if (err.name === 'ZodError') return false;
  // No HTTP status: a network failure, an abort, a timeout, a dropped database connection.
  return true;
}

/** The one rule for an HTTP status worth another try: a timeout, a rate limit, a server fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Error codes a step's outcome carries when no module named one, and the few factories that make
 * them (as supabase/storage's `ERRORS`): a code is never a loose string at the place that sets it.
 */
export const ERROR_CODE = {
  /** A thrown error that carried no code of its own. */
  stepFailed: 'step_failed',
  unknownKind: 'unknown_kind',
  canceled: 'canceled',
  /** A provider account without credits (Luma): its new starts pause, its scenes wait. */
  insufficientCredits: 'insufficient_credits',
} as const;
export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

export const ERRORS = {
  UnknownKind: (kind: string) => new AppError(ERROR_CODE.unknownKind, `No module handles task kind ${kind}`, { retryable: false }),
  Canceled: (what: string) => new AppError(ERROR_CODE.canceled, `The job was canceled; ${what}`, { status: 409, retryable: false }),
};

/** The HTTP status an SDK error carries, if any (`@google/genai` ApiError, supabase StorageApiError, …). */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const record = err as Record<string, unknown>;
  for (const key of ['status', 'statusCode', 'code']) {
    const value = record[key];
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 100 && n < 600) return n;
  }
  return undefined;
}
