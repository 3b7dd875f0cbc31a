/**
 * Builds the services a test runs the real handlers with: its own database clone, a temporary
 * storage folder, and whatever provider or store the test names. Handlers are then called with a
 * Web `Request`, exactly as Vercel calls them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { DEMO_PROFESSOR_ID, getDevKeys } from '../../lib/auth/dev-keys.js';
import { createVerifier } from '../../lib/auth/jwt.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { useBackgroundRunner } from '../../lib/http/after-response.js';
import { buildServices, useServices, type ServiceOverrides, type Services } from '../../lib/services.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestApp {
  services: Services;
  config: Config;
  database: TestDatabase;
  storageDir: string;
  /** Rebuilds the services with more env or other parts, on the same database. */
  reconfigure: (env?: Record<string, string>, overrides?: ServiceOverrides) => Services;
  /**
   * `Authorization` headers with a development token for `userId` (the demo professor by default),
   * carrying `claims` (app_metadata, user_metadata) as Supabase Auth would.
   */
  auth: (userId?: string | null, role?: 'authenticated' | 'service_role', claims?: TokenClaims) => Promise<Record<string, string>>;
  /** `call` as the demo professor (or `as`: another user id; `null` for no token). */
  call: (handler: Handler, method: string, pathAndQuery: string, init?: CallInit & { as?: string | null }) => ReturnType<typeof call>;
  /**
   * Work the handlers left to run after their response (generate's scene starts). By default an
   * invocation ends with its response and that work never runs, as when Vercel ends a function
   * early: the tick must then do it. `runAfterResponse()` runs what is waiting, as a live
   * invocation would, and resolves when it has ended.
   */
  runAfterResponse: () => Promise<number>;
  close: () => Promise<void>;
}

export const BASE = 'http://localhost:3000';

/** The metadata claims Supabase Auth puts in a user's access token. */
export interface TokenClaims {
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

/**
 * With SUPABASE_URL set, tokens come from "Supabase Auth": a key pair made here, its public half
 * handed to the real verifier as the project's JWKS.
 */
const projectKeys = (async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-project-key', alg: 'ES256' };
  return { privateKey: privateKey as CryptoKey, jwks: createLocalJWKSet({ keys: [jwk] }) };
})();

async function projectToken(supabaseUrl: string, userId: string | null, role: string, claims: TokenClaims = {}): Promise<string> {
  const { privateKey } = await projectKeys;
  const jwt = new SignJWT({ ...claims, role, ...(role === 'authenticated' ? { aud: 'authenticated' } : {}) })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-project-key' })
    .setIssuer(`${supabaseUrl.replace(/\/$/, '')}/auth/v1`)
    .setIssuedAt()
    .setExpirationTime('10m');
  if (userId) jwt.setSubject(userId);
  return jwt.sign(privateKey);
}

const projectJwks: JWTVerifyGetKey = async (header, token) =>
  (await projectKeys).jwks(header, token);

export async function createTestApp(label: string, env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<TestApp> {
  const database = await createTestDatabase(label);
  const storageDir = await mkdtemp(path.join(os.tmpdir(), 'video-store-'));
  const baseEnv = {
    LOCAL_STORAGE_DIR: storageDir,
    LOCAL_VIDEO_DELAY_MS: '0',
    TICK_LINGER: 'false',
    PUBLIC_BASE_URL: BASE,
    LOG_LEVEL: 'silent',
    AUTH_DEV_KEYS_DIR: path.join(storageDir, '.dev-auth'),
  };
  let afterResponse: Array<() => Promise<void>> = [];
  useBackgroundRunner(async (_name, work) => {
    afterResponse.push(() => work(new AbortController().signal));
  });
  const app: TestApp = {
    services: undefined as unknown as Services,
    config: undefined as unknown as Config,
    database,
    storageDir,
    reconfigure(more = {}, parts = {}) {
      app.config = loadConfig({ ...baseEnv, ...env, ...more });
      const verifier = app.config.SUPABASE_URL ? { verifier: createVerifier(app.config, { jwks: projectJwks }) } : {};
      app.services = buildServices(app.config, { db: database.db, ...verifier, ...overrides, ...parts });
      useServices(app.services);
      return app.services;
    },
    async auth(userId = DEMO_PROFESSOR_ID, role = 'authenticated', claims = {}) {
      if (app.config.SUPABASE_URL) return { authorization: `Bearer ${await projectToken(app.config.SUPABASE_URL, userId, role, claims)}` };
      const keys = await getDevKeys(app.config);
      const metadata = { ...(claims.app_metadata ? { appMetadata: claims.app_metadata } : {}), ...(claims.user_metadata ? { userMetadata: claims.user_metadata } : {}) };
      return { authorization: `Bearer ${await keys.mintToken({ userId, role, ...metadata })}` };
    },
    async call(handler, method, pathAndQuery, init = {}) {
      const { as, ...rest } = init;
      const auth = as === null ? {} : await app.auth(as);
      return call(handler, method, pathAndQuery, { ...rest, headers: { ...auth, ...rest.headers } });
    },
    async runAfterResponse() {
      const waiting = afterResponse;
      afterResponse = [];
      await Promise.all(waiting.map((run) => run()));
      return waiting.length;
    },
    async close() {
      useBackgroundRunner(undefined);
      useServices(undefined);
      await database.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
  app.reconfigure();
  return app;
}

type Handler = (request: Request) => Promise<Response>;

export interface CallInit {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export async function call(handler: Handler, method: string, pathAndQuery: string, init: CallInit = {}) {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await handler(new Request(`${BASE}${pathAndQuery}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
