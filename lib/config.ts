/**
 * Environment, parsed once with zod. A bad or missing value fails loudly with its name;
 * nothing silently falls back. Library code receives a `Config`, it never reads process.env.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { discontinuedSuccessor, LUMA_MODELS, LUMA_RESOLUTIONS, VIDEO_PROVIDERS, type VideoProviderName } from './model-limits.js';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1' || v === 'yes'));

/** A whole number in [min, max], or undefined when unset or blank. */
const optionalInt = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const int = (fallback: number, min: number, max: number) => optionalInt(min, max).transform((n) => n ?? fallback);

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why a PEM text is not one or more readable certificates, or undefined when it is. */
function pemProblem(text: string): string | undefined {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'must be PEM text: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `certificate ${i + 1} of ${blocks.length} cannot be read (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return undefined;
}

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const envSchema = z.object({
  VERCEL_ENV: optionalText,
  PORT: int(3000, 1, 65535),
  /**
   * The address `npm start` listens on: loopback unless told otherwise (HOST=0.0.0.0 for every
   * interface), so a laptop on a café network does not serve its development sign-in to the room.
   */
  HOST: optionalText
    .transform((v) => v ?? '127.0.0.1')
    .refine((v) => isIP(v) !== 0 || v === 'localhost', 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or localhost'),
  /** Where clients reach the service; every absolute URL it hands out starts with it. */
  PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()),
  /** Set by Vercel: the deployment's own host name, and the project's production domain. */
  VERCEL_URL: optionalText,
  VERCEL_PROJECT_PRODUCTION_URL: optionalText,

  DATABASE_URL: optionalText,
  DATABASE_POOL_MAX: int(5, 1, 100),
  /**
   * Supabase's root certificate (PEM text, as downloaded from the dashboard): the database
   * connection then uses TLS verified against it. Literal `\n` sequences count as line breaks, for
   * hosts whose variables are one line.
   */
  DATABASE_CA_CERT: optionalText
    .transform((v) => v?.replace(/\\r/g, '').replace(/\\n/g, '\n').replace(/\r/g, '').trim())
    .superRefine((v, ctx) => {
      // Node's TLS skips a certificate it cannot read, and the connection then fails with an
      // error that names no variable: each one is read here instead.
      if (v === undefined) return;
      const problem = pemProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),

  // Google: the SDK reads its own variables too; these are the ones this service looks at.
  GEMINI_API_KEY: optionalText,
  GOOGLE_API_KEY: optionalText,
  GOOGLE_GENAI_USE_VERTEXAI: bool(false),
  GOOGLE_GENAI_USE_ENTERPRISE: bool(false),
  GOOGLE_CLOUD_PROJECT: optionalText,
  GOOGLE_CLOUD_LOCATION: optionalText,
  /** A service-account key as JSON text, for hosts (Vercel) that cannot hold a key file. */
  GOOGLE_APPLICATION_CREDENTIALS_JSON: optionalText,
  /** Points the SDK at another endpoint (a proxy, or the wire double in tests). */
  GOOGLE_GENAI_BASE_URL: optionalText,
  VEO_MODEL: z.string().default('veo-3.1-fast-generate-preview'),
  /** Stills on Vertex AI (`generateImages`, Imagen's `:predict`). */
  IMAGEN_MODEL: z.string().default('imagen-4.0-fast-generate-001'),
  /** Stills on the Developer API, where @google/genai 2.x serves images through generateContent only. */
  GEMINI_IMAGE_MODEL: z.string().default('gemini-2.5-flash-image'),
  /** The text model that may write a storyboard (`storyboard: 'model'`), and how long the request waits for it. */
  STORYBOARD_MODEL: z.string().default('gemini-2.5-flash'),
  // The model storyboard runs inside the generate request, before it answers (see the rule below).
  STORYBOARD_TIMEOUT_MS: int(8000, 500, 900_000),
  MAX_VARIATIONS: int(6, 1, 20),
  /**
   * The provider new jobs start on unless a request names another: `veo`, `luma` or `local` (the
   * stand-in). Unset: Veo with a Google key, else Luma with a Luma key, else the stand-in.
   * MOCK_MODE=true is the older spelling of `local` for every job (no paid provider is called).
   */
  VIDEO_PROVIDER: optionalText.pipe(z.enum(VIDEO_PROVIDERS, { error: `must be one of ${VIDEO_PROVIDERS.join(', ')}` }).optional()),
  /**
   * Luma Dream Machine. With a key set, jobs may name `provider: 'luma'`, and generations Luma made
   * are polled by the Luma provider; the model and resolution are the pinned ones in lib/model-limits.ts.
   */
  LUMA_API_KEY: optionalText,
  /**
   * Whether Luma is handed a callback URL (POST /api/video/callbacks/luma) to announce a finished
   * generation before the next poll would see it. Unset: on when PUBLIC_BASE_URL (or the Vercel
   * address) is https, the only kind of address Luma can reach.
   */
  LUMA_CALLBACKS: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional().transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  /** Points the `lumaai` SDK at another endpoint (the wire double in tests). */
  LUMA_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  LUMA_MODEL: z.enum(LUMA_MODELS, { error: `must be one of ${LUMA_MODELS.join(', ')}` }).default('ray-flash-2'),
  LUMA_RESOLUTION: z.enum(LUMA_RESOLUTIONS, { error: `must be one of ${LUMA_RESOLUTIONS.join(', ')}` }).default('720p'),
  MOCK_MODE: bool(false),
  VIDEO_GENERATION_ENABLED: bool(true),
  LOCAL_VIDEO_DELAY_MS: int(4000, 0, 3_600_000),
  FFMPEG_PATH: optionalText,

  SUPABASE_URL: optionalText.pipe(z.url().optional()),
  SUPABASE_SERVICE_ROLE_KEY: optionalText,
  /** The project's publishable (or legacy anon) key: the dashboard signs in with it in the browser. */
  SUPABASE_PUBLISHABLE_KEY: optionalText,
  /** The project's legacy HS256 JWT secret; only needed while tokens signed with it are still in use. */
  SUPABASE_JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /**
   * The `iss` tokens must carry, when it is not `<SUPABASE_URL>/auth/v1`: with a custom domain as
   * SUPABASE_URL, Supabase Auth still issues as `https://<ref>.supabase.co/auth/v1`.
   */
  SUPABASE_JWT_ISSUER: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()).transform((v) => v?.replace(/\/+$/, '')),
  /** Supabase anonymous sign-ins (is_anonymous) may start jobs: off, since each job spends Veo money. */
  AUTH_ALLOW_ANONYMOUS_USERS: bool(false),
  /**
   * Users who may read the operator metrics (GET /api/video/metrics) besides those whose token's
   * app_metadata says admin: Supabase user ids, comma-separated. A list here needs no change in
   * Supabase Auth, so an operator can be named (or removed) with a redeploy.
   */
  OPS_ADMIN_USER_IDS: optionalText.transform((v, ctx) => {
    if (v === undefined) return [] as string[];
    const ids = v.split(',').map((id) => id.trim()).filter((id) => id !== '');
    const bad = ids.filter((id) => !z.guid().safeParse(id).success);
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be Supabase user ids (UUIDs) separated by commas; not a UUID: ${bad.map((id) => `"${id.length > 60 ? `${id.slice(0, 60)}…` : id}"`).join(', ')}` });
      return z.NEVER;
    }
    // User ids arrive lower-cased from the verifier (lib/auth/jwt.ts), so they are compared that way.
    return [...new Set(ids.map((id) => id.toLowerCase()))];
  }),
  /** Where local development keeps its ES256 signing key when there is no Supabase project. */
  AUTH_DEV_KEYS_DIR: z.string().default('.data/dev-auth'),
  SUPABASE_STORAGE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'must be a valid bucket name').default('explainer-videos'),
  STORAGE_PUBLIC_BUCKET: bool(false),
  SIGNED_URL_TTL_SECONDS: int(3600, 60, 604_800),
  LOCAL_STORAGE_DIR: z.string().default('.data/storage'),
  /** Where `npm start` keeps its embedded PostgreSQL when no DATABASE_URL is set. */
  LOCAL_POSTGRES_DIR: z.string().default('.data/postgres'),

  CRON_SECRET: optionalText,

  // Per-professor quotas on generate (the service role is exempt: it is the trusted backend,
  // and MAX_IN_FLIGHT still bounds what all jobs together spend). 0 turns a quota off.
  QUOTA_JOBS_PER_HOUR: int(30, 0, 100_000),
  QUOTA_ACTIVE_JOBS: int(5, 0, 10_000),
  /** Idempotency-Key replays are honoured for this long (24 h by default). */
  IDEMPOTENCY_TTL_HOURS: int(24, 1, 24 * 30),

  // Webhooks: the HMAC-SHA256 signing secret (required before a generate may name a webhookUrl).
  WEBHOOK_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  WEBHOOK_TIMEOUT_MS: int(5_000, 100, 60_000),
  WEBHOOK_MAX_ATTEMPTS: int(8, 1, 50),
  /** Most deliveries one tick attempts, so webhooks never crowd out task work. */
  WEBHOOK_BATCH_SIZE: int(20, 1, 1000),

  // The tick. TICK_MAX_DURATION_SECONDS mirrors `maxDuration` in vercel.json.
  TICK_MAX_DURATION_SECONDS: int(60, 5, 900),
  // Generate, batch and retry start their scenes after answering; this mirrors their `maxDuration`.
  GENERATE_MAX_DURATION_SECONDS: int(60, 5, 900),
  TICK_BATCH_SIZE: int(50, 1, 1000),
  TICK_CONCURRENCY: int(8, 1, 256),
  TICK_LINGER: bool(true),
  LEASE_SECONDS: int(180, 10, 3600),
  MAX_IN_FLIGHT: int(20, 1, 10_000),
  /** Optional per-provider caps within MAX_IN_FLIGHT (a Luma plan's concurrency, a Veo quota). */
  MAX_IN_FLIGHT_VEO: optionalInt(1, 10_000),
  MAX_IN_FLIGHT_LUMA: optionalInt(1, 10_000),
  /** How long new starts on a provider wait after it refused one for lack of credits (Luma). */
  PROVIDER_PAUSE_MINUTES: int(15, 1, 24 * 60),
  POLL_MIN_SECONDS: int(5, 1, 3600),
  // The ceiling keeps the delay between Veo finishing and the URL being recorded near 10 s (BENCHMARKS.md, figure 3).
  POLL_MAX_SECONDS: int(10, 1, 3600),
  MAX_ATTEMPTS: int(5, 1, 100),
  /** New generations a scene gets when its provider failed one on the provider's side (lib/tasks/apply.ts, restart). */
  MAX_PROVIDER_RESTARTS: int(2, 0, 10),
  TASK_DEADLINE_MINUTES: int(30, 1, 7 * 24 * 60),
  JOB_DEADLINE_MINUTES: int(180, 1, 30 * 24 * 60),
  REQUEST_TIMEOUT_MS: int(30_000, 100, 600_000),
  MAX_DOWNLOAD_MB: int(512, 1, 10_240),
  MAX_SCENES: int(6, 1, 20),

  LOCAL_SCHEDULER_SECONDS: int(60, 1, 3600),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** The provider new jobs start on unless they name another (VIDEO_PROVIDER, or derived). */
  provider: VideoProviderName;
  /** Every provider a job may name here, the default first. */
  providers: VideoProviderName[];
  /** Per-provider caps on operations in flight, within MAX_IN_FLIGHT (only the ones set). */
  inFlightCaps: Partial<Record<VideoProviderName, number>>;
  /** Whether Google is configured (and MOCK_MODE off): stills, keyframes and the model storyboard need it. */
  google: boolean;
  /** Who makes stills (keyframes, image jobs): Google, the stand-in, or nobody (a Luma-only deployment). */
  imageProvider?: 'veo' | 'local';
  /** Whether Luma is told a callback URL (LUMA_CALLBACKS, or an https public origin). */
  lumaCallbacks: boolean;
  /** Which store holds videos: Supabase Storage, or a local folder. */
  storage: 'supabase' | 'local';
  publicBaseUrl: string;
  googleApiKey?: string;
  /**
   * Deployed on Vercel, production or preview: real services only, and the strict rules (a cron
   * secret, public webhook receivers, Supabase Auth). A preview has a public URL and the same
   * read-only filesystem, so it gets no looser rules than production.
   */
  production: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variables: string[], message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Production runs on the real services or not at all. The local stand-ins would make fake videos
 * and write to a folder a Vercel function cannot keep, so a missing variable there is an error
 * naming it, never a quiet fallback.
 */
function assertProductionServices(e: Env, hasGoogle: boolean): void {
  const missing: Array<[string, string]> = [];
  if (!e.DATABASE_URL) missing.push(['DATABASE_URL', "Supabase's pooled connection string"]);
  if (!e.SUPABASE_URL) missing.push(['SUPABASE_URL', 'Supabase Storage and Auth']);
  if (!hasGoogle && !e.LUMA_API_KEY) missing.push(['GEMINI_API_KEY', 'Google Veo (or GOOGLE_API_KEY, or the Vertex AI variables), or LUMA_API_KEY for Luma']);
  if (e.MOCK_MODE) missing.push(['MOCK_MODE', 'must be false: the local stand-in makes placeholder videos']);
  if (e.VIDEO_PROVIDER === 'local') missing.push(['VIDEO_PROVIDER', 'must be veo or luma: the local stand-in makes placeholder videos']);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map(([name]) => name),
      `A Vercel deployment (VERCEL_ENV=${e.VERCEL_ENV}) needs the real services: ${missing.map(([name, what]) => `${name} (${what})`).join('; ')}`,
    );
  }
}

/** True when HOST is a loopback address: nothing off this machine can reach the local server. */
export function listensOnLoopback(config: Pick<Env, 'HOST'>): boolean {
  const host = config.HOST.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * The one origin absolute URLs (Location, statusUrl, file URLs, openapi.json's servers) are built
 * from, never from a request, whose Host or absolute request-target the client chooses:
 * PUBLIC_BASE_URL; else on Vercel the deployment's own address; else the local listen origin.
 */
function publicBaseUrl(e: Env): string {
  if (e.PUBLIC_BASE_URL) return e.PUBLIC_BASE_URL.replace(/\/$/, '');
  const vercelHost = e.VERCEL_ENV === 'production' ? (e.VERCEL_PROJECT_PRODUCTION_URL ?? e.VERCEL_URL) : e.VERCEL_URL;
  if (e.VERCEL_ENV && vercelHost) return `https://${vercelHost.replace(/^https?:\/\//, '').replace(/\/$/, '')}`;
  // A wildcard address is no place to send a client: this machine's loopback name stands in.
  const host = ['0.0.0.0', '::'].includes(e.HOST) ? 'localhost' : isIP(e.HOST) === 6 ? `[${e.HOST}]` : e.HOST;
  return `http://${host}:${e.PORT}`;
}

/** The `role` claim of a legacy Supabase key (a JWT), or a reason it has none. */
function legacyKeyRole(key: string): { role: unknown } | { problem: string } {
  try {
    return { role: (JSON.parse(Buffer.from(key.split('.')[1]!, 'base64url').toString('utf8')) as { role?: unknown }).role };
  } catch {
    return { problem: 'is not a readable JWT' };
  }
}

/**
 * Why a key is not a Supabase service key, or undefined when it is. With the anon (publishable)
 * key the server hides stored objects and refuses uploads with 403, so finished videos would look
 * missing and be fetched from Veo again: a legacy JWT key must carry `role: service_role`, a new
 * key must be a secret key (`sb_secret_…`).
 */
export function serviceKeyProblem(key: string): string | undefined {
  if (key.startsWith('sb_secret_')) return undefined;
  if (key.startsWith('sb_publishable_')) return 'is a publishable key; use a secret key (sb_secret_…) or the legacy service_role key';
  if (key.split('.').length === 3) {
    const read = legacyKeyRole(key);
    if ('problem' in read) return read.problem;
    return read.role === 'service_role' ? undefined : `is a JWT with role "${String(read.role)}", not service_role (the anon key?)`;
  }
  return 'must be a secret key (sb_secret_…) or the legacy service_role JWT';
}

/**
 * Why a key may not be handed to a browser as the publishable key, or undefined when it may. A
 * secret or service_role key there would give every visitor the power to bypass row level security.
 */
export function publishableKeyProblem(key: string): string | undefined {
  if (key.startsWith('sb_publishable_')) return undefined;
  if (key.startsWith('sb_secret_')) return 'is a secret key; the browser gets the publishable key (sb_publishable_…) or the legacy anon key';
  if (key.split('.').length === 3) {
    const read = legacyKeyRole(key);
    if ('problem' in read) return read.problem;
    return read.role === 'anon' ? undefined : `is a JWT with role "${String(read.role)}"; the browser gets the anon key`;
  }
  return 'must be a publishable key (sb_publishable_…) or the legacy anon JWT';
}

/**
 * Refuses a Veo setup Google does not serve: a discontinued model (naming its successor), or
 * Vertex's `global` location (Veo is regional; the SDK's own sample swaps it for us-central1).
 */
function assertVeoServed(e: Env, vertex: boolean): void {
  const successor = discontinuedSuccessor(e.VEO_MODEL);
  if (successor) {
    throw new ConfigError(['VEO_MODEL'], `VEO_MODEL: ${e.VEO_MODEL} is discontinued by Google (retired 2026-06-30); use ${successor}`);
  }
  if (vertex && e.GOOGLE_CLOUD_LOCATION?.toLowerCase() === 'global') {
    throw new ConfigError(['GOOGLE_CLOUD_LOCATION'], 'GOOGLE_CLOUD_LOCATION: Veo is not served at "global"; name a regional location such as us-central1');
  }
}

/**
 * The providers a job may name, the default first. MOCK_MODE keeps every job on the stand-in;
 * a named default must be configured; the stand-in is never offered on a deployment.
 */
function chooseProviders(e: Env, hasGoogle: boolean, production: boolean): VideoProviderName[] {
  if (e.MOCK_MODE) {
    if (e.VIDEO_PROVIDER && e.VIDEO_PROVIDER !== 'local') {
      throw new ConfigError(['VIDEO_PROVIDER', 'MOCK_MODE'], `VIDEO_PROVIDER: ${e.VIDEO_PROVIDER} cannot run with MOCK_MODE=true (the stand-in for every job); unset one of them`);
    }
    return ['local'];
  }
  const configured: VideoProviderName[] = [
    ...(hasGoogle ? (['veo'] as const) : []),
    ...(e.LUMA_API_KEY ? (['luma'] as const) : []),
    ...(production ? [] : (['local'] as const)),
  ];
  if (e.VIDEO_PROVIDER === 'veo' && !hasGoogle) {
    throw new ConfigError(['VIDEO_PROVIDER'], 'VIDEO_PROVIDER: veo needs GEMINI_API_KEY (or GOOGLE_API_KEY, or the Vertex AI variables)');
  }
  if (e.VIDEO_PROVIDER === 'luma' && !e.LUMA_API_KEY) throw new ConfigError(['VIDEO_PROVIDER', 'LUMA_API_KEY'], 'VIDEO_PROVIDER: luma needs LUMA_API_KEY');
  const first = e.VIDEO_PROVIDER ?? configured[0]!;
  return [first, ...configured.filter((p) => p !== first)];
}

function inFlightCaps(e: Env): Partial<Record<VideoProviderName, number>> {
  const caps: Partial<Record<VideoProviderName, number>> = {};
  for (const [provider, cap] of [['veo', e.MAX_IN_FLIGHT_VEO], ['luma', e.MAX_IN_FLIGHT_LUMA]] as const) {
    if (cap === undefined) continue;
    if (cap > e.MAX_IN_FLIGHT) {
      throw new ConfigError([`MAX_IN_FLIGHT_${provider.toUpperCase()}`], `MAX_IN_FLIGHT_${provider.toUpperCase()}: must not exceed MAX_IN_FLIGHT (${e.MAX_IN_FLIGHT}), which bounds every provider together`);
    }
    caps[provider] = cap;
  }
  return caps;
}

/**
 * Vertex AI without a project is either incomplete or express mode (an API key with vertexai on).
 * No Google source shows Veo served in express mode: the SDK sends it to project-less
 * `publishers/google/models/…` paths on v1beta1, and googleapis/java-genai#570 shows a Veo model
 * refused there with 400 "Invalid resource field value". Refused here rather than at the first
 * paid call, naming both setups that do work.
 */
function refuseVertexWithoutProject(e: Env): never {
  const flag = e.GOOGLE_GENAI_USE_ENTERPRISE ? 'GOOGLE_GENAI_USE_ENTERPRISE' : 'GOOGLE_GENAI_USE_VERTEXAI';
  const keyName = e.GEMINI_API_KEY ? 'GEMINI_API_KEY' : e.GOOGLE_API_KEY ? 'GOOGLE_API_KEY' : undefined;
  const why = keyName
    ? `${flag} with ${keyName} and no GOOGLE_CLOUD_PROJECT is Vertex AI express mode, which does not serve Veo`
    : `${flag} needs GOOGLE_CLOUD_PROJECT`;
  throw new ConfigError(
    [flag, 'GOOGLE_CLOUD_PROJECT', ...(keyName ? [keyName] : [])],
    `${why}. Use either the Gemini Developer API (GEMINI_API_KEY or GOOGLE_API_KEY, without ${flag}) ` +
      `or Vertex AI with ${flag}=true, GOOGLE_CLOUD_PROJECT, a regional GOOGLE_CLOUD_LOCATION (us-central1 when unset) ` +
      'and credentials (GOOGLE_APPLICATION_CREDENTIALS_JSON, or the platform\'s default credentials)',
  );
}

/** Parses an environment (process.env by default). Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => String(i.path[0]));
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(names, `Invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const googleApiKey = e.GEMINI_API_KEY ?? e.GOOGLE_API_KEY;
  const vertex = e.GOOGLE_GENAI_USE_VERTEXAI || e.GOOGLE_GENAI_USE_ENTERPRISE;
  const hasGoogle = Boolean(googleApiKey) || (vertex && Boolean(e.GOOGLE_CLOUD_PROJECT));
  if (vertex && !e.GOOGLE_CLOUD_PROJECT) refuseVertexWithoutProject(e);
  assertVeoServed(e, vertex);
  if (e.SUPABASE_SERVICE_ROLE_KEY) {
    const problem = serviceKeyProblem(e.SUPABASE_SERVICE_ROLE_KEY);
    if (problem) throw new ConfigError(['SUPABASE_SERVICE_ROLE_KEY'], `SUPABASE_SERVICE_ROLE_KEY: ${problem}`);
  }
  if (e.SUPABASE_PUBLISHABLE_KEY) {
    const problem = publishableKeyProblem(e.SUPABASE_PUBLISHABLE_KEY);
    if (problem) throw new ConfigError(['SUPABASE_PUBLISHABLE_KEY'], `SUPABASE_PUBLISHABLE_KEY: ${problem}`);
    if (!e.SUPABASE_URL) throw new ConfigError(['SUPABASE_PUBLISHABLE_KEY'], 'SUPABASE_PUBLISHABLE_KEY: only used with SUPABASE_URL, which is not set');
  }
  if (Boolean(e.SUPABASE_URL) !== Boolean(e.SUPABASE_SERVICE_ROLE_KEY)) {
    const missing = e.SUPABASE_URL ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL';
    throw new ConfigError([missing], `${missing}: required when the other Supabase variable is set`);
  }
  if (e.SUPABASE_JWT_ISSUER && !e.SUPABASE_URL) {
    throw new ConfigError(['SUPABASE_JWT_ISSUER'], 'SUPABASE_JWT_ISSUER: only used with SUPABASE_URL, which is not set');
  }
  if (e.POLL_MIN_SECONDS > e.POLL_MAX_SECONDS) {
    throw new ConfigError(['POLL_MIN_SECONDS'], 'POLL_MIN_SECONDS: must not exceed POLL_MAX_SECONDS');
  }
  // A lease shorter than a tick would let a second tick take a task the first still works on.
  if (e.LEASE_SECONDS <= e.TICK_MAX_DURATION_SECONDS) {
    throw new ConfigError(['LEASE_SECONDS'], 'LEASE_SECONDS: must exceed TICK_MAX_DURATION_SECONDS');
  }
  // A tick only opens a Veo operation when the create can finish before its hard stop.
  if (e.REQUEST_TIMEOUT_MS > e.TICK_MAX_DURATION_SECONDS * 500) {
    throw new ConfigError(['REQUEST_TIMEOUT_MS'], 'REQUEST_TIMEOUT_MS: must be at most half of TICK_MAX_DURATION_SECONDS');
  }
  // A start after generate's answer needs the create's whole timeout before that function's hard stop.
  if (e.REQUEST_TIMEOUT_MS > e.GENERATE_MAX_DURATION_SECONDS * 500) {
    throw new ConfigError(['GENERATE_MAX_DURATION_SECONDS'], 'GENERATE_MAX_DURATION_SECONDS: must be at least twice REQUEST_TIMEOUT_MS (in seconds), or no scene could start after generate answers');
  }
  // The model storyboard runs before generate answers: it must leave time to answer.
  if (e.STORYBOARD_TIMEOUT_MS > e.GENERATE_MAX_DURATION_SECONDS * 1000 - 3000) {
    throw new ConfigError(['STORYBOARD_TIMEOUT_MS'], 'STORYBOARD_TIMEOUT_MS: must end at least 3 s before GENERATE_MAX_DURATION_SECONDS (the generate function\'s maxDuration)');
  }
  const production = e.VERCEL_ENV === 'production' || e.VERCEL_ENV === 'preview';
  if (production) assertProductionServices(e, hasGoogle);
  const providers = chooseProviders(e, hasGoogle, production);
  const origin = publicBaseUrl(e);
  return {
    ...e,
    provider: providers[0]!,
    providers,
    inFlightCaps: inFlightCaps(e),
    google: hasGoogle && !e.MOCK_MODE,
    ...(hasGoogle && !e.MOCK_MODE ? { imageProvider: 'veo' as const } : production ? {} : { imageProvider: 'local' as const }),
    // Callback tokens are keyed by CRON_SECRET on a deployment; without it there are no callbacks (polling still works).
    lumaCallbacks: providers.includes('luma') && (e.LUMA_CALLBACKS ?? origin.startsWith('https://')) && (!production || Boolean(e.CRON_SECRET)),
    storage: e.SUPABASE_URL ? 'supabase' : 'local',
    publicBaseUrl: origin,
    ...(googleApiKey ? { googleApiKey } : {}),
    production,
  };
}
