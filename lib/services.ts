/**
 * The dependencies a handler or a tick needs, built once per process from the config and
 * reused across warm Vercel invocations. The local server and the tests install their own.
 */
import { createVerifier, type TokenVerifier } from './auth/jwt.js';
import { loadConfig, type Config } from './config.js';
import { createPool, type Db } from './db/pool.js';
import { AppError } from './errors.js';
import { createLocalProvider } from './providers/local.js';
import { createLumaProvider, LUMA_VIDEO_HOSTS } from './providers/luma.js';
import type { VideoProvider } from './providers/types.js';
import { createVeoProvider } from './providers/veo.js';
import { createLocalStore } from './storage/local.js';
import { createSupabaseStore } from './storage/supabase.js';
import type { ObjectStore } from './storage/types.js';

export interface Services {
  config: Config;
  db: Db;
  /** The provider a job that names none starts its clips on (VIDEO_PROVIDER). */
  provider: VideoProvider;
  /** Who makes stills: Google, or the stand-in; absent on a deployment with Luma alone. */
  imageProvider?: VideoProvider;
  store: ObjectStore;
  /** Verifies the bearer tokens of dashboard requests. */
  verifier: TokenVerifier;
  /**
   * A provider by name: the one a task was planned on starts its operation, and the one that made
   * an operation polls it.
   */
  providerFor(name: string): VideoProvider;
}

export interface ServiceOverrides {
  db?: Db;
  provider?: VideoProvider;
  store?: ObjectStore;
  providers?: VideoProvider[];
  verifier?: TokenVerifier;
}

/** Signed keyframe URLs must outlive Luma's queue, which holds a generation for hours at busy times. */
const KEYFRAME_URL_TTL_SECONDS = 24 * 60 * 60;

export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  if (!overrides.db && !config.DATABASE_URL) {
    throw new AppError('misconfigured', 'DATABASE_URL is not set', { status: 500 });
  }
  const db = overrides.db ?? createPool(config.DATABASE_URL!, config.DATABASE_POOL_MAX, { ca: config.DATABASE_CA_CERT });
  const store = overrides.store ?? (config.storage === 'supabase' ? createSupabaseStore(config) : createLocalStore(config));
  const known = new Map<string, VideoProvider>();
  for (const p of overrides.providers ?? []) known.set(p.name, p);
  // An injected provider stands in for the configured default: tasks planned on it start there.
  if (overrides.provider) known.set(overrides.provider.name, overrides.provider).set(config.provider, overrides.provider);

  /** Builds a provider on first use: a process polling only Veo never loads Luma's SDK client. */
  const make = (name: string): VideoProvider | undefined => {
    // An operation made by the stand-in can always be finished: it needs no account.
    if (name === 'local') return createLocalProvider(config);
    if (name === 'veo' && config.google) return createVeoProvider(config);
    // A Luma generation is polled by Luma whenever a key is set, whichever provider starts new ones.
    if (name === 'luma' && config.LUMA_API_KEY) {
      // A proxy or the wire double in LUMA_BASE_URL serves the videos it announces from its own host.
      const base = config.LUMA_BASE_URL ? new URL(config.LUMA_BASE_URL) : undefined;
      return createLumaProvider({
        apiKey: config.LUMA_API_KEY,
        model: config.LUMA_MODEL,
        resolution: config.LUMA_RESOLUTION,
        timeoutMs: config.REQUEST_TIMEOUT_MS,
        ...(base ? { baseURL: config.LUMA_BASE_URL, videoHosts: [...LUMA_VIDEO_HOSTS, base.hostname], allowHttpVideos: base.protocol === 'http:' } : {}),
        keyframeUrl: async (image) => {
          if (!image.objectPath) throw new AppError('invalid_request', 'Luma takes keyframes only as URLs, and this still has no stored object', { status: 400 });
          return store.url(image.objectPath, KEYFRAME_URL_TTL_SECONDS);
        },
      });
    }
    return undefined;
  };
  const providerFor = (name: string): VideoProvider => {
    let found = known.get(name);
    if (!found) {
      found = make(name);
      if (!found) throw new AppError('provider_unavailable', `The ${name} provider this task needs is not configured here`, { status: 500 });
      known.set(name, found);
    }
    return found;
  };
  const provider = overrides.provider ?? providerFor(config.provider);
  const imageProvider = config.imageProvider ? (overrides.provider ?? providerFor(config.imageProvider)) : undefined;
  return {
    config,
    db,
    provider,
    ...(imageProvider ? { imageProvider } : {}),
    store,
    verifier: overrides.verifier ?? createVerifier(config),
    providerFor,
  };
}

let current: Services | undefined;

/** The process-wide services, built from process.env on first use. */
export function services(): Services {
  current ??= buildServices(loadConfig());
  return current;
}

/** Installs services built elsewhere (the local server, the tests); `undefined` resets. */
export function useServices(next: Services | undefined): void {
  current = next;
}
