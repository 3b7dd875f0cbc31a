/**
 * The Google client every Gemini/Veo/Imagen module shares: how `@google/genai` is configured for
 * the Developer API or Vertex AI, the SDK loaded on first use, the errors it throws turned into
 * AppErrors that say whether a retry may help, and per-call abort signals. Its own module so the
 * video, image and storyboard modules all import it, and none of them imports another.
 */
import type { GoogleGenAIOptions, HttpOptions } from '@google/genai';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError, isRetryableStatus, statusOf } from '../errors.js';
import { vertexApiVersion } from '../model-limits.js';

export type Fetch = typeof fetch;
export type Backend = 'gemini' | 'vertex';

/** Veo is served from regional endpoints; the SDK's own default ('global') does not carry it. */
const DEFAULT_VERTEX_LOCATION = 'us-central1';

// ---------------------------------------------------------------------------------------------
// Client construction

const credentialsSchema = z
  .object({ type: z.string().optional(), project_id: z.string().optional(), client_email: z.string(), private_key: z.string() })
  .loose();

type Credentials = z.infer<typeof credentialsSchema>;

/** Parses the service-account JSON without ever echoing it: it holds a private key. */
function parseCredentials(json: string | undefined): Credentials | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new AppError('misconfigured', 'GOOGLE_APPLICATION_CREDENTIALS_JSON: not valid JSON');
  }
  const parsed = credentialsSchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('misconfigured', 'GOOGLE_APPLICATION_CREDENTIALS_JSON: needs client_email and private_key');
  }
  return parsed.data;
}

export function usesVertex(config: Config): boolean {
  return config.GOOGLE_GENAI_USE_VERTEXAI || config.GOOGLE_GENAI_USE_ENTERPRISE;
}

/** Builds the SDK options: an API key for the Developer API; a project, location and credentials for Vertex. */
export function clientOptions(config: Config, fetchImpl: Fetch | undefined): GoogleGenAIOptions {
  const httpOptions: HttpOptions = {
    timeout: config.REQUEST_TIMEOUT_MS,
    ...(config.GOOGLE_GENAI_BASE_URL ? { baseUrl: config.GOOGLE_GENAI_BASE_URL } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
  if (!usesVertex(config)) {
    if (!config.googleApiKey) throw new AppError('misconfigured', 'GEMINI_API_KEY or GOOGLE_API_KEY is required for Veo');
    return { vertexai: false, apiKey: config.googleApiKey, httpOptions };
  }
  // Never an API key on Vertex: without a project that is express mode, which does not serve Veo
  // (loadConfig refuses it; see refuseVertexWithoutProject there). Passing the project explicitly
  // also makes the SDK drop a GOOGLE_API_KEY it would otherwise read from the environment.
  const project = config.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new AppError('misconfigured', 'Vertex AI needs GOOGLE_CLOUD_PROJECT (express mode, an API key alone, does not serve Veo)');
  const credentials = parseCredentials(config.GOOGLE_APPLICATION_CREDENTIALS_JSON);
  // Token requests go through the same fetch, so a test can answer them too.
  const auth = {
    ...(credentials ? { credentials } : {}),
    ...(fetchImpl ? { clientOptions: { transporterOptions: { fetchImplementation: fetchImpl } } } : {}),
  };
  const apiVersion = vertexApiVersion(config.VEO_MODEL);
  return {
    vertexai: true,
    project,
    location: config.GOOGLE_CLOUD_LOCATION ?? DEFAULT_VERTEX_LOCATION,
    httpOptions: apiVersion ? { ...httpOptions, apiVersion } : httpOptions,
    ...(Object.keys(auth).length > 0 ? { googleAuthOptions: auth } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Errors

const apiErrorBody = z.object({ error: z.object({ message: z.string() }) });

/** The SDK's ApiError message is the raw JSON error body; pull the human part out of it. */
function readableMessage(err: Error): string {
  try {
    const parsed = apiErrorBody.safeParse(JSON.parse(err.message));
    if (parsed.success) return parsed.data.error.message;
  } catch {
    // Not JSON: the message is already plain text.
  }
  return err.message;
}

function isNetworkError(err: Error): boolean {
  const cause = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return (err instanceof TypeError && /fetch failed/i.test(err.message)) || (typeof code === 'string' && /^(E[A-Z]+|UND_ERR)/.test(code));
}

/** Wraps anything thrown by the SDK or fetch into an AppError that says whether a retry may help. */
export function toAppError(thrown: unknown, action: string, signal?: AbortSignal): AppError {
  if (thrown instanceof AppError) return thrown;
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  const status = statusOf(err);
  if (status !== undefined) {
    const retryable = isRetryableStatus(status);
    const code = status === 429 ? 'rate_limited' : status >= 500 ? 'provider_unavailable' : 'provider_rejected';
    return new AppError(code, `Veo ${action} failed (HTTP ${status}): ${readableMessage(err)}`, { status, retryable, cause: err });
  }
  if (err.name === 'AbortError' || err.name === 'TimeoutError') {
    const code = signal?.aborted ? 'aborted' : 'timeout';
    return new AppError(code, `Veo ${action} ${code === 'aborted' ? 'was cancelled' : 'timed out'}`, { status: 504, retryable: true, cause: err });
  }
  if (isNetworkError(err)) {
    return new AppError('network_error', `Veo ${action} could not reach Google: ${err.message}`, { status: 502, retryable: true, cause: err });
  }
  return new AppError('provider_error', `Veo ${action} failed: ${err.message}`, { status: 500, retryable: false, cause: err });
}

/**
 * Runs one SDK call under a signal of its own that follows the caller's. @google/genai (2.32)
 * keeps the abort listener it adds to a call's `abortSignal` after the call succeeds, so given the
 * tick's long-lived signal it would pile up one listener (and its closure) per poll for as long as
 * the tick runs; on a per-call signal the listener goes away with the call.
 */
export async function withCallSignal<T>(signal: AbortSignal | undefined, run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!signal) return run(undefined);
  const call = new AbortController();
  const follow = () => call.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  try {
    return await run(call.signal);
  } finally {
    signal.removeEventListener('abort', follow);
  }
}

/** A fetch that also stops when the caller's signal fires (the SDK drops abortSignal on Vertex polls). */
export function fetchWithSignal(base: Fetch, signal: AbortSignal | undefined): Fetch {
  if (!signal) return base;
  return (input, init) => base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}



let sdk: Promise<typeof import('@google/genai')> | undefined;
/**
 * The SDK is loaded on first use, not at import: every function that imports this module (the
 * status endpoint, the generate request's duration check) would otherwise pay its cold start.
 */
export function loadGenAI(): Promise<typeof import('@google/genai')> {
  sdk ??= import('@google/genai');
  return sdk;
}
