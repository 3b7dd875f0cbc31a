/**
 * The dependencies a handler or a tick needs, built once per process from the config and
 * reused across warm Vercel invocations. The local server and the tests install their own.
 */
import { createVerifier, type TokenVerifier } from './auth/jwt.js';
import { loadConfig, type Config } from './config.js';
import { createPool, type Db } from './db/pool.js';
import { AppError } from './errors.js';
import { createLocalProvider } from './providers/local.js';
import { createLumaProvider } from './providers/luma.js';
import type { VideoProvider } from './providers/types.js';
import { createVeoProvider } from './providers/veo.js';
import { createLocalStore } from './storage/local.js';
import { createSupabaseStore } from './storage/supabase.js';
import type { ObjectStore } from './storage/types.js';

export interface Services {
  config: Config;
  db: Db;
  /** The provider new operations are started with. */
  provider: VideoProvider;
  store: ObjectStore;
  /** Verifies the bearer tokens of dashboard requests. */
  verifier: TokenVerifier;
  /** The provider that made an operation; an operation is always polled by its maker. */
  providerFor(name: string): VideoProvider;
}

export interface ServiceOverrides {
  db?: Db;
  provider?: VideoProvider;
  store?: ObjectStore;
  providers?: VideoProvider[];
  verifier?: TokenVerifier;
}

export function buildServices(config: Config, overrides: ServiceOverrides = {}): Services {
  if (!overrides.db && !config.DATABASE_URL) {
    throw new AppError('misconfigured', 'DATABASE_URL is not set', { status: 500 });
  }
  const db = overrides.db ?? createPool(config.DATABASE_URL!, config.DATABASE_POOL_MAX, { ca: config.DATABASE_CA_CERT });
  const provider = overrides.provider ?? (config.provider === 'veo' ? createVeoProvider(config) : createLocalProvider(config));
  const store = overrides.store ?? (config.storage === 'supabase' ? createSupabaseStore(config) : createLocalStore(config));
  const known = new Map<string, VideoProvider>([[provider.name, provider]]);
  for (const p of overrides.providers ?? []) known.set(p.name, p);
  return {
    config,
    db,
    provider,
    store,
    verifier: overrides.verifier ?? createVerifier(config),
    providerFor(name) {
      const found = known.get(name);
      if (found) return found;
      // An operation made by the stand-in can always be finished: it needs no account.
      if (name === 'local') {
        const local = createLocalProvider(config);
        known.set(name, local);
        return local;
      }
      // A Luma generation is polled by Luma whenever a key is set, whichever provider starts new ones.
      if (name === 'luma' && config.LUMA_API_KEY) {
        const luma = createLumaProvider({
          apiKey: config.LUMA_API_KEY,
          model: config.LUMA_MODEL,
          resolution: config.LUMA_RESOLUTION,
          timeoutMs: config.REQUEST_TIMEOUT_MS,
          ...(config.LUMA_BASE_URL ? { baseURL: config.LUMA_BASE_URL } : {}),
        });
        known.set(name, luma);
        return luma;
      }
      throw new AppError('provider_unavailable', `The ${name} provider that started this operation is not configured here`, { status: 500 });
    },
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
