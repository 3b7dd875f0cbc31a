/**
 * Local development stands in for Supabase Auth: with no SUPABASE_URL (and never in production)
 * the server signs its own ES256 tokens with a key created once and kept under AUTH_DEV_KEYS_DIR,
 * serves the public half as a JWKS at `/auth/v1/.well-known/jwks.json`, and verifies requests
 * exactly as it would against Supabase. Authentication stays on; only the issuer changes.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CryptoKey, JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { writeOnce } from '../fs/write-once.js';
import { loadJose } from './jose.js';

/** The professor `npm start` and `npm run token` act as when no other user is named. */
export const DEMO_PROFESSOR_ID = '00000000-0000-4000-8000-00000000d3a0';

/**
 * The issuer of development tokens. Not `<PUBLIC_BASE_URL>/auth/v1`: trust comes from the key file,
 * and a token from `npm run token` must work whatever PORT or PUBLIC_BASE_URL `npm start` was given.
 */
export const DEV_ISSUER = 'urn:escalation-video:dev-auth';

const ALG = 'ES256';
const KEY_FILE = 'signing-key.json';

export interface MintOptions {
  /** The user the token speaks for; required for `authenticated`, optional for `service_role`. */
  userId?: string | null;
  role?: 'authenticated' | 'service_role';
  ttlSeconds?: number;
  /** Supabase's claims of the same names, e.g. `{ role: 'admin' }` for an operator. */
  appMetadata?: Record<string, unknown>;
  userMetadata?: Record<string, unknown>;
}

export interface DevKeys {
  /** DEV_ISSUER, the same on every port. */
  issuer: string;
  /** The public key set, as served at `/auth/v1/.well-known/jwks.json`. */
  jwks: JSONWebKeySet;
  /** Resolves the verification key straight from `jwks`: the local server never fetches itself. */
  getKey: JWTVerifyGetKey;
  mintToken(options: MintOptions): Promise<string>;
}

// The stored private key is read back through zod: a hand-edited or truncated file fails by name.
const storedKeySchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});

const mintSchema = z.object({
  userId: z.guid('userId must be a UUID').nullish(),
  role: z.enum(['authenticated', 'service_role']).default('authenticated'),
  ttlSeconds: z.number().int().min(1).max(30 * 24 * 3600).default(3600),
  appMetadata: z.record(z.string(), z.unknown()).optional(),
  userMetadata: z.record(z.string(), z.unknown()).optional(),
});

function assertLocalMode(config: Config): void {
  if (config.production) {
    throw new ConfigError(['SUPABASE_URL'], 'SUPABASE_URL: required in production; local development keys are never used there');
  }
  if (config.SUPABASE_URL) {
    throw new ConfigError(['SUPABASE_URL'], 'SUPABASE_URL is set: tokens come from Supabase Auth, not from local development keys');
  }
}

async function createKeyFile(file: string): Promise<void> {
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await loadJose();
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  await writeOnce(file, `${JSON.stringify({ ...jwk, kid }, null, 2)}\n`);
}

async function readOrCreateKey(dir: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK; kid: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, KEY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await createKeyFile(file);
    text = await readFile(file, 'utf8');
  }
  // A private key readable by others is a key anyone on the machine can mint with.
  await chmod(file, 0o600);
  const parsed = storedKeySchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ConfigError(['AUTH_DEV_KEYS_DIR'], `AUTH_DEV_KEYS_DIR: ${file} is not an ES256 private key (${parsed.error.issues[0]?.message}); delete it to make a new one`);
  }
  const { d: _private, ...publicJwk } = parsed.data;
  const privateKey = (await (await loadJose()).importJWK(parsed.data, ALG)) as CryptoKey;
  return { privateKey, publicJwk: { ...publicJwk, alg: ALG, use: 'sig' }, kid: parsed.data.kid };
}

/** Reads the signing key from disk (creating it on first use). Uncached: `getDevKeys` is the one to call. */
export async function openDevKeys(config: Config): Promise<DevKeys> {
  assertLocalMode(config);
  const { privateKey, publicJwk, kid } = await readOrCreateKey(path.resolve(config.AUTH_DEV_KEYS_DIR));
  const { SignJWT, createLocalJWKSet } = await loadJose();
  const issuer = DEV_ISSUER;
  const jwks: JSONWebKeySet = { keys: [publicJwk] };
  return {
    issuer,
    jwks,
    getKey: createLocalJWKSet(jwks),
    async mintToken(options) {
      const { userId, role, ttlSeconds, appMetadata, userMetadata } = mintSchema.parse(options);
      if (role === 'authenticated' && !userId) throw new Error('mintToken: an authenticated token needs a userId');
      // The claims Supabase Auth puts in its own tokens; service-role tokens carry no audience there either.
      const jwt = new SignJWT({
        role,
        ...(role === 'authenticated' ? { aal: 'aal1', is_anonymous: false } : {}),
        ...(appMetadata ? { app_metadata: appMetadata } : {}),
        ...(userMetadata ? { user_metadata: userMetadata } : {}),
      })
        .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`);
      if (userId) jwt.setSubject(userId.toLowerCase());
      if (role === 'authenticated') jwt.setAudience('authenticated');
      return jwt.sign(privateKey);
    },
  };
}

const loaded = new Map<string, Promise<DevKeys>>();

/** The development keys for this config, read once per process. */
export function getDevKeys(config: Config): Promise<DevKeys> {
  // Checked on every call, not only on the first load: the cache is keyed by folder alone.
  try {
    assertLocalMode(config);
  } catch (err) {
    return Promise.reject(err);
  }
  const cacheKey = path.resolve(config.AUTH_DEV_KEYS_DIR);
  let keys = loaded.get(cacheKey);
  if (!keys) {
    keys = openDevKeys(config);
    // A failed load is not remembered, so fixing the file does not need a restart.
    keys.catch(() => loaded.delete(cacheKey));
    loaded.set(cacheKey, keys);
  }
  return keys;
}

/** The JWKS endpoint of local mode, for the local server to mount at `/auth/v1/.well-known/jwks.json`. */
export async function devJwksResponse(config: Config): Promise<Response> {
  const { jwks } = await getDevKeys(config);
  return new Response(JSON.stringify(jwks), {
    headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' },
  });
}
