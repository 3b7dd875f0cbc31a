/**
 * Bearer authentication with real keys: jose key pairs made here, a real JWKS served over HTTP by
 * node:http on 127.0.0.1 (counted, to prove it is fetched once), the legacy HS256 secret, the raw
 * service-role key, and the local development keys on a real temporary directory.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { errorResponse } from '../lib/http/respond.js';
import { createVerifier, type TokenVerifier } from '../lib/auth/jwt.js';
import { authenticate, canAccess } from '../lib/auth/request.js';
import { DEMO_PROFESSOR_ID, DEV_ISSUER, devJwksResponse, getDevKeys, openDevKeys } from '../lib/auth/dev-keys.js';

const USER = '7d3f5a52-3f4e-4b7a-9c1e-2a9b8c7d6e5f';
const SERVICE_KEY = 'sb_secret_service-role-key-for-tests-0123456789';
const HS_SECRET = 'legacy-jwt-secret-for-tests-0123456789abcdef';

interface JwksServer {
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}

/** A real HTTP server answering the Supabase JWKS path, counting how often it is asked. */
async function serveJwks(jwks: JSONWebKeySet): Promise<JwksServer> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/auth/v1/.well-known/jwks.json') {
      count += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function supabaseConfig(url: string, extra: Record<string, string> = {}): Config {
  return loadConfig({ SUPABASE_URL: url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY, SUPABASE_JWT_SECRET: HS_SECRET, ...extra });
}

interface SignOptions {
  key: CryptoKey | Uint8Array;
  alg: string;
  kid?: string;
  issuer: string;
  audience?: string | null;
  expiresIn?: string | number;
}

function sign(claims: JWTPayload, o: SignOptions): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg, typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) })
    .setIssuer(o.issuer)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '1h');
  if (o.audience !== null) jwt.setAudience(o.audience ?? 'authenticated');
  return jwt.sign(o.key);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function bearer(token: string): Request {
  return new Request('http://localhost/api/video/generate', { headers: { authorization: `Bearer ${token}` } });
}

describe('Supabase token verification (jose keys, JWKS over real HTTP, HS256 secret)', () => {
  let es: { publicKey: CryptoKey; privateKey: CryptoKey };
  let rs: { publicKey: CryptoKey; privateKey: CryptoKey };
  let stranger: { publicKey: CryptoKey; privateKey: CryptoKey };
  let jwksServer: JwksServer;
  let config: Config;
  let verifier: TokenVerifier;
  let issuer: string;
  const hsKey = new TextEncoder().encode(HS_SECRET);

  const userToken = (o: Partial<SignOptions> = {}, claims: JWTPayload = {}) =>
    sign({ sub: USER, role: 'authenticated', ...claims }, { key: es.privateKey, alg: 'ES256', kid: 'es-1', issuer, ...o });

  beforeAll(async () => {
    es = await generateKeyPair('ES256', { extractable: true });
    rs = await generateKeyPair('RS256', { extractable: true });
    stranger = await generateKeyPair('ES256', { extractable: true });
    jwksServer = await serveJwks({
      keys: [
        { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
      ],
    });
    config = supabaseConfig(jwksServer.url);
    issuer = `${jwksServer.url}/auth/v1`;
    verifier = createVerifier(config);
  });

  afterAll(async () => {
    await jwksServer.close();
  });

  it('accepts a user token signed with an ES256 key from the JWKS', async () => {
    expect(await authenticate(bearer(await userToken()), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
  });

  it('accepts a user token signed with an RS256 key from the JWKS', async () => {
    const token = await sign({ sub: USER, role: 'authenticated' }, { key: rs.privateKey, alg: 'RS256', kid: 'rs-1', issuer });
    expect(await authenticate(bearer(token), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
  });

  it("SUPABASE_JWT_ISSUER: behind a custom domain, tokens keep the project's own issuer and are accepted only with it named", async () => {
    // The keys still come from SUPABASE_URL (the custom domain serves the JWKS too); only `iss` differs.
    const projectIssuer = 'https://abcdefghijklmnopqrst.supabase.co/auth/v1';
    const token = await userToken({ issuer: projectIssuer });
    const custom = createVerifier(supabaseConfig(jwksServer.url, { SUPABASE_JWT_ISSUER: projectIssuer }));
    expect(await authenticate(bearer(token), custom)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    expect((await rejection(authenticate(bearer(token), verifier))).status).toBe(401);
    expect((await rejection(authenticate(bearer(await userToken()), custom))).status).toBe(401);
    // Written with a trailing slash, as URLs often are, it is the same issuer.
    const slashed = createVerifier(supabaseConfig(jwksServer.url, { SUPABASE_JWT_ISSUER: `${projectIssuer}/` }));
    expect(await authenticate(bearer(token), slashed)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    for (const bad of ['abcdefghijklmnopqrst', 'mailto:auth@example.com', 'ftp://abcdefghijklmnopqrst.supabase.co/auth/v1']) {
      expect(() => supabaseConfig(jwksServer.url, { SUPABASE_JWT_ISSUER: bad }), bad).toThrow(/SUPABASE_JWT_ISSUER/);
    }
    // Without SUPABASE_URL it would be ignored (development keys): refused rather than silently unused.
    expect(() => loadConfig({ SUPABASE_JWT_ISSUER: projectIssuer })).toThrow(/SUPABASE_JWT_ISSUER: only used with SUPABASE_URL/);
  });

  it('accepts a user token signed with the legacy HS256 secret', async () => {
    const token = await sign({ sub: USER.toUpperCase(), role: 'authenticated' }, { key: hsKey, alg: 'HS256', issuer });
    expect(await authenticate(bearer(token), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
  });

  it('refuses a request without a token: 401 with a bare Bearer challenge', async () => {
    const err = await rejection(authenticate(new Request('http://localhost/api/video/generate'), verifier));
    expect(err.status).toBe(401);
    const response = errorResponse(err);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('Bearer') } });
  });

  it('refuses a non-Bearer scheme and garbage tokens with error="invalid_token"', async () => {
    for (const request of [
      new Request('http://localhost/x', { headers: { authorization: `Basic ${btoa('a:b')}` } }),
      bearer('not-a-jwt'),
      bearer('eyJhbGciOiJFUzI1NiJ9.garbage.garbage'),
    ]) {
      const response = errorResponse(await rejection(authenticate(request, verifier)));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('refuses a token signed by a key that is not the project key (same kid)', async () => {
    const err = await rejection(authenticate(bearer(await userToken({ key: stranger.privateKey })), verifier));
    expect(err.status).toBe(401);
    expect(err.headers?.['www-authenticate']).toContain('signature');
  });

  it('refuses an HS256 token signed with another secret', async () => {
    const token = await sign({ sub: USER, role: 'authenticated' }, { key: new TextEncoder().encode('x'.repeat(40)), alg: 'HS256', issuer });
    expect((await rejection(authenticate(bearer(token), verifier))).status).toBe(401);
  });

  it('refuses an expired token and says so', async () => {
    const token = await userToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = errorResponse(await rejection(authenticate(bearer(token), verifier)));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error_description="The access token has expired"');
  });

  it('refuses a token for another audience', async () => {
    expect((await rejection(authenticate(bearer(await userToken({ audience: 'other' })), verifier))).status).toBe(401);
    expect((await rejection(authenticate(bearer(await userToken({ audience: null })), verifier))).status).toBe(401);
  });

  it('refuses a token from another issuer', async () => {
    const err = await rejection(authenticate(bearer(await userToken({ issuer: 'https://elsewhere.supabase.co/auth/v1' })), verifier));
    expect(err.status).toBe(401);
    expect(err.message).toContain('iss');
  });

  it('refuses the development issuer and a wrong issuer on HS256 tokens too', async () => {
    // The project key and secret sign these: only the issuer is wrong, and that alone is refused.
    for (const token of [
      await userToken({ issuer: DEV_ISSUER }),
      await sign({ sub: USER, role: 'authenticated' }, { key: hsKey, alg: 'HS256', issuer: DEV_ISSUER }),
      await sign({ sub: USER, role: 'authenticated' }, { key: hsKey, alg: 'HS256', issuer: 'http://localhost:3000/auth/v1' }),
    ]) {
      const err = await rejection(authenticate(bearer(token), verifier));
      expect(err.status).toBe(401);
      expect(err.message).toContain('iss');
    }
  });

  it('refuses an anon token and a token whose sub is not a UUID', async () => {
    const anon = await sign({ role: 'anon' }, { key: es.privateKey, alg: 'ES256', kid: 'es-1', issuer, audience: null });
    expect((await rejection(authenticate(bearer(anon), verifier))).status).toBe(401);
    const err = await rejection(authenticate(bearer(await userToken({}, { sub: 'user-1' })), verifier));
    expect(err.status).toBe(401);
    expect(err.message).toContain('sub');
  });

  it('refuses Supabase anonymous users unless AUTH_ALLOW_ANONYMOUS_USERS opts in', async () => {
    const token = await userToken({}, { is_anonymous: true });
    const err = await rejection(authenticate(bearer(token), verifier));
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Anonymous users/);
    expect(await authenticate(bearer(await userToken({}, { is_anonymous: false })), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    const optIn = createVerifier(supabaseConfig(jwksServer.url, { AUTH_ALLOW_ANONYMOUS_USERS: 'true' }));
    expect(await authenticate(bearer(token), optIn)).toEqual({ userId: USER, role: 'authenticated', admin: false });
  });

  it('admin comes from the verified app_metadata (role "admin" or admin: true) or OPS_ADMIN_USER_IDS, never from user_metadata', async () => {
    const adminOf = async (claims: JWTPayload, v = verifier) => (await authenticate(bearer(await userToken({}, claims)), v)).admin;
    expect(await adminOf({ app_metadata: { provider: 'email', role: 'admin' } })).toBe(true);
    expect(await adminOf({ app_metadata: { admin: true } })).toBe(true);
    // What users may write themselves, and look-alikes, grant nothing.
    expect(await adminOf({ user_metadata: { role: 'admin', admin: true } })).toBe(false);
    expect(await adminOf({ app_metadata: { admin: 'true' } })).toBe(false);
    expect(await adminOf({ app_metadata: { role: 'Admin' } })).toBe(false);
    expect(await adminOf({ app_metadata: ['admin'] })).toBe(false);
    expect(await adminOf({ app_metadata: 'admin' })).toBe(false);
    expect(await adminOf({ role: 'authenticated', admin: true })).toBe(false);
    const listed = createVerifier(supabaseConfig(jwksServer.url, { OPS_ADMIN_USER_IDS: ` 11111111-1111-4111-8111-111111111111 , ${USER.toUpperCase()}` }));
    expect(await adminOf({}, listed)).toBe(true);
    // The service role reads operator data too; a forged signature stays a 401 whatever it claims.
    expect((await authenticate(bearer(SERVICE_KEY), verifier)).admin).toBe(true);
    const forged = await sign({ sub: USER, role: 'authenticated', app_metadata: { role: 'admin' } }, { key: stranger.privateKey, alg: 'ES256', kid: 'es-1', issuer });
    expect((await rejection(authenticate(bearer(forged), verifier))).status).toBe(401);
  });

  it('refuses a token issued more than 60 s in the future, and names iat', async () => {
    const at = (ahead: number) =>
      new SignJWT({ sub: USER, role: 'authenticated' })
        .setProtectedHeader({ alg: 'ES256', kid: 'es-1' })
        .setIssuer(issuer)
        .setAudience('authenticated')
        .setIssuedAt(Math.floor(Date.now() / 1000) + ahead)
        .setExpirationTime('2h')
        .sign(es.privateKey);
    const err = await rejection(authenticate(bearer(await at(600)), verifier));
    expect(err.status).toBe(401);
    expect(err.message).toContain('iat');
    expect(await authenticate(bearer(await at(30)), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
  });

  it('refuses an unknown crit header and says so, not "algorithm"', async () => {
    const token = await new SignJWT({ sub: USER, role: 'authenticated' })
      .setProtectedHeader({ alg: 'ES256', kid: 'es-1', crit: ['x-ours'], 'x-ours': 1 })
      .setIssuer(issuer)
      .setAudience('authenticated')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(es.privateKey, { crit: { 'x-ours': true } });
    const err = await rejection(authenticate(bearer(token), verifier));
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/crit header .*x-ours/);
    expect(err.message).not.toMatch(/algorithm/);
  });

  it('refuses alg "none" and HS256 when no legacy secret is configured', async () => {
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${btoa(JSON.stringify({ sub: USER, role: 'authenticated', aud: 'authenticated', iss: issuer, exp: 9e9 }))}.`;
    expect((await rejection(authenticate(bearer(none.replace(/=/g, '')), verifier))).status).toBe(401);
    const noSecret = createVerifier(loadConfig({ SUPABASE_URL: jwksServer.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY }));
    const token = await sign({ sub: USER, role: 'authenticated' }, { key: hsKey, alg: 'HS256', issuer });
    expect((await rejection(authenticate(bearer(token), noSecret))).message).toContain('HS256');
  });

  it('accepts service-role tokens signed by the JWKS key or the HS256 secret, without an audience', async () => {
    const asym = await sign({ role: 'service_role' }, { key: es.privateKey, alg: 'ES256', kid: 'es-1', issuer, audience: null });
    const legacy = await sign({ role: 'service_role' }, { key: hsKey, alg: 'HS256', issuer, audience: null });
    expect(await authenticate(bearer(asym), verifier)).toEqual({ userId: null, role: 'service_role', admin: true });
    expect(await authenticate(bearer(legacy), verifier)).toEqual({ userId: null, role: 'service_role', admin: true });
  });

  it('accepts the raw SUPABASE_SERVICE_ROLE_KEY as a service-role bearer, and nothing close to it', async () => {
    expect(await authenticate(bearer(SERVICE_KEY), verifier)).toEqual({ userId: null, role: 'service_role', admin: true });
    expect((await rejection(authenticate(bearer(`${SERVICE_KEY}x`), verifier))).status).toBe(401);
  });

  it('fetches the JWKS once and reuses it across verifications and verifiers', async () => {
    const own = await serveJwks({ keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' }] });
    try {
      const ownIssuer = `${own.url}/auth/v1`;
      const first = createVerifier(supabaseConfig(own.url));
      const second = createVerifier(supabaseConfig(own.url));
      for (let i = 0; i < 5; i += 1) {
        const token = await userToken({ issuer: ownIssuer });
        expect(await (i % 2 ? first : second).verify(token)).toEqual({ userId: USER, role: 'authenticated', admin: false });
      }
      expect(own.requests()).toBe(1);
      // An unknown kid within the cooldown is refused without hammering the JWKS endpoint.
      const unknown = await userToken({ issuer: ownIssuer, kid: 'rotated-away' });
      expect((await rejection(authenticate(bearer(unknown), first))).status).toBe(401);
      expect(own.requests()).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('answers 503 auth_unavailable (not 401) when the JWKS cannot be fetched', async () => {
    const gone = await serveJwks({ keys: [] });
    await gone.close();
    const err = await rejection(createVerifier(supabaseConfig(gone.url)).verify(await userToken({ issuer: `${gone.url}/auth/v1` })));
    expect(err.status).toBe(503);
    expect(err.code).toBe('auth_unavailable');
    expect(errorResponse(err).headers.get('retry-after')).toBe('5');
  });

  it('uses injected keys instead of fetching when given { jwks }', async () => {
    let asked = 0;
    const injected = createVerifier(supabaseConfig('http://127.0.0.1:9'), {
      jwks: async () => {
        asked += 1;
        return es.publicKey;
      },
    });
    const token = await userToken({ issuer: 'http://127.0.0.1:9/auth/v1' });
    expect(await injected.verify(token)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    expect(asked).toBe(1);
  });
});

describe('canAccess', () => {
  it('lets the service role act for anyone and a user only on their own rows', () => {
    expect(canAccess({ userId: null, role: 'service_role', admin: true }, USER)).toBe(true);
    expect(canAccess({ userId: null, role: 'service_role', admin: true }, null)).toBe(true);
    expect(canAccess({ userId: USER, role: 'authenticated', admin: false }, USER.toUpperCase())).toBe(true);
    expect(canAccess({ userId: USER, role: 'authenticated', admin: false }, DEMO_PROFESSOR_ID)).toBe(false);
    expect(canAccess({ userId: USER, role: 'authenticated', admin: false }, null)).toBe(false);
  });
});

describe('local development keys (ES256 key file in a real temporary directory)', () => {
  let dir: string;
  let local: Config;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dev-auth-'));
    local = loadConfig({ AUTH_DEV_KEYS_DIR: path.join(dir, 'keys'), PUBLIC_BASE_URL: 'http://localhost:4321' });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the key once, with mode 600, and reads the same key on the next load', async () => {
    const [a, b, c] = await Promise.all([openDevKeys(local), openDevKeys(local), openDevKeys(local)]);
    const again = await openDevKeys(local);
    expect(b!.jwks).toEqual(a!.jwks);
    expect(c!.jwks).toEqual(a!.jwks);
    expect(again.jwks).toEqual(a!.jwks);
    expect(a!.jwks.keys).toHaveLength(1);
    expect(a!.jwks.keys[0]).not.toHaveProperty('d');
    const file = await stat(path.join(dir, 'keys', 'signing-key.json'));
    expect(file.mode & 0o777).toBe(0o600);
    // A token minted by one load verifies with the keys of another.
    const token = await a!.mintToken({ userId: DEMO_PROFESSOR_ID });
    const verifier = createVerifier(local, { jwks: again.getKey });
    expect(await verifier.verify(token)).toEqual({ userId: DEMO_PROFESSOR_ID, role: 'authenticated', admin: false });
  });

  it('mints tokens the local-mode verifier accepts, with the local issuer and audience', async () => {
    const keys = await getDevKeys(local);
    expect(keys.issuer).toBe(DEV_ISSUER);
    const verifier = createVerifier(local);
    expect(await authenticate(bearer(await keys.mintToken({ userId: USER })), verifier)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    expect(await authenticate(bearer(await keys.mintToken({ role: 'service_role' })), verifier)).toEqual({ userId: null, role: 'service_role', admin: true });
  });

  it('accepts a token minted for one port on a local server on another port (npm run token without PORT)', async () => {
    const keysDir = path.join(dir, 'keys');
    // What `npm run token` sees with no PORT set, against what `PORT=3917 npm start` or a tunnel sees.
    const minted = await (await openDevKeys(loadConfig({ AUTH_DEV_KEYS_DIR: keysDir }))).mintToken({ userId: USER });
    for (const env of [{ PORT: '3917' }, { PUBLIC_BASE_URL: 'https://tunnel.example' }]) {
      const server = createVerifier(loadConfig({ AUTH_DEV_KEYS_DIR: keysDir, ...env }));
      expect(await authenticate(bearer(minted), server)).toEqual({ userId: USER, role: 'authenticated', admin: false });
    }
    // The key is what is trusted: another key directory's token is refused on any port.
    const other = await openDevKeys(loadConfig({ AUTH_DEV_KEYS_DIR: path.join(dir, 'other-keys'), PORT: '3917' }));
    const err = await rejection(authenticate(bearer(await other.mintToken({ userId: USER })), createVerifier(local)));
    expect(err.status).toBe(401);
    // A token with the right key but another issuer is refused as well.
    const stored = JSON.parse(await readFile(path.join(keysDir, 'signing-key.json'), 'utf8'));
    const key = (await importJWK(stored, 'ES256')) as CryptoKey;
    const wrongIssuer = await sign({ sub: USER, role: 'authenticated' }, { key, alg: 'ES256', kid: stored.kid, issuer: 'http://localhost:3000/auth/v1' });
    expect((await rejection(authenticate(bearer(wrongIssuer), createVerifier(local)))).message).toContain('iss');
  });

  it('serves the public JWKS for the local server', async () => {
    const response = await devJwksResponse(local);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(await response.json()).toEqual((await getDevKeys(local)).jwks);
  });

  it('refuses to mint without a user, and refuses to exist in production or next to Supabase', async () => {
    const keys = await getDevKeys(local);
    await expect(keys.mintToken({})).rejects.toThrow(/userId/);
    await expect(keys.mintToken({ userId: 'nope' })).rejects.toThrow(/UUID/);
    // Production without Supabase does not even load: auth is never off, and never the dev keys.
    expect(() => loadConfig({ VERCEL_ENV: 'production', AUTH_DEV_KEYS_DIR: dir })).toThrow(ConfigError);
    await expect(openDevKeys(supabaseConfig('http://127.0.0.1:9'))).rejects.toBeInstanceOf(ConfigError);
    await expect(openDevKeys({ ...local, production: true })).rejects.toBeInstanceOf(ConfigError);
    // A production config that somehow lacks Supabase fails loudly as misconfigured.
    const prod = createVerifier({ ...local, production: true });
    const response = errorResponse(await prod.verify(await keys.mintToken({ userId: USER })).catch((e: unknown) => e));
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('misconfigured');
  });
});
