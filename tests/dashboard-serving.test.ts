/**
 * How the dashboard is served, without a browser: the same security headers locally and on
 * Vercel, the build within its JavaScript budget, the static route confined to `public/`, the
 * development sign-in only on loopback and only for requests addressed to this machine, and no
 * secret in anything the page can read.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GET as dashboardConfig } from '../api/dashboard/config.js';
import { DEMO_PROFESSOR_ID } from '../lib/auth/dev-keys.js';
import { createVerifier } from '../lib/auth/jwt.js';
import { loadConfig, type Config } from '../lib/config.js';
import { clientConfig, clientConfigSchema } from '../lib/dashboard/client-config.js';
import { hashForPath, PAGE_REWRITES } from '../lib/dashboard/page-paths.js';
import { pageHeaders, SUPABASE_SOURCES } from '../lib/dashboard/security-headers.js';
import { createDevSignInRoute, DEV_SIGN_IN_PATH } from '../lib/local/dev-sign-in.js';
import { localPageSources } from '../lib/local/page-sources.js';
import { createStaticRoute } from '../lib/local/static-files.js';
import { buildServices, useServices } from '../lib/services.js';

const root = path.resolve(import.meta.dirname, '..');
const publicDir = path.join(root, 'public');
const dirs: string[] = [];
afterAll(async () => {
  useServices(undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function localConfig(env: Record<string, string> = {}): Promise<Config> {
  const keys = await mkdtemp(path.join(os.tmpdir(), 'video-dev-auth-'));
  dirs.push(keys);
  return loadConfig({ AUTH_DEV_KEYS_DIR: keys, ...env });
}

// A legacy Supabase key as a JWT with the given role (the signature is never checked here).
const legacyKey = (role: string) => `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'supabase', role })).toString('base64url')}.c2ln`;
const SUPABASE = { SUPABASE_URL: 'https://abcdefghijklmnop.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_0123456789abcdefghij' };

describe('security headers', () => {
  it('vercel.json sends the page the very headers the local server sends, on every path but the API', async () => {
    const vercel = JSON.parse(await readFile(path.join(root, 'vercel.json'), 'utf8')) as { headers: Array<{ source: string; headers: Array<{ key: string; value: string }> }> };
    expect(vercel.headers).toHaveLength(1);
    const [rule] = vercel.headers;
    expect(Object.fromEntries(rule!.headers.map((h) => [h.key, h.value]))).toEqual(pageHeaders(SUPABASE_SOURCES));
    const source = new RegExp(`^${rule!.source}$`);
    for (const p of ['/', '/index.html', '/assets/main-ABC.js']) expect(source.test(p), p).toBe(true);
    expect(source.test('/api/video/jobs')).toBe(false);
  });

  it('the policy runs only the page\'s own scripts, is never framed, and lets media come from this server under its public name', async () => {
    const headers = pageHeaders(localPageSources(await localConfig({ PORT: '3999' })));
    const csp = headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/media-src [^;]*http:\/\/127\.0\.0\.1:3999/);
    const withSupabase = pageHeaders(localPageSources(await localConfig({ ...SUPABASE, SUPABASE_JWT_SECRET: 'x'.repeat(32) })))['content-security-policy']!;
    expect(withSupabase).toMatch(/connect-src [^;]*wss:\/\/abcdefghijklmnop\.supabase\.co/);
  });
});

describe('the build', () => {
  it('index.html loads one hashed script and one stylesheet, and the initial JavaScript is within 150 KB gzip', async () => {
    const html = await readFile(path.join(publicDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script[^>]*src="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/^assets\/main-[A-Z0-9]+\.js$/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/main-[A-Z0-9]+\.css">/);
    // No inline script or style: the policy would refuse them.
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/);
    expect(html).not.toMatch(/style=/);
    const js = await readFile(path.join(publicDir, scripts[0]!));
    const gzipped = gzipSync(js, { level: 9 }).byteLength;
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
    // Static imports only: everything the page runs first is in that one file.
    expect(js.toString()).not.toMatch(/import\(["']\.\//);
  });

  it('holds no secret and reads no server environment', async () => {
    for (const name of await readdir(path.join(publicDir, 'assets'))) {
      const text = await readFile(path.join(publicDir, 'assets', name), 'utf8');
      // supabase-js names the key prefixes (it tells keys apart); a key itself never appears.
      expect(text, name).not.toMatch(/sb_secret_[A-Za-z0-9_-]{8,}|SERVICE_ROLE_KEY|process\.env|CRON_SECRET|WEBHOOK_SECRET/);
    }
  });
});

describe('the static route', () => {
  const route = createStaticRoute(publicDir, SUPABASE_SOURCES);
  const get = (p: string, method = 'GET') => route(new Request(`http://127.0.0.1:3000${p}`, { method }));

  it('serves index.html at / with the security headers, never cached, and hashed assets for good', async () => {
    const index = (await get('/'))!;
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(pageHeaders(SUPABASE_SOURCES)['content-security-policy']);
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const script = (await index.text()).match(/src="(\/assets\/[^"]+)"/)![1]!;
    const asset = (await get(script))!;
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const head = (await get('/', 'HEAD'))!;
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves the page at the paths vercel.json rewrites to it, and only those', async () => {
    const vercel = JSON.parse(await readFile(path.join(root, 'vercel.json'), 'utf8')) as { rewrites: Array<{ source: string; destination: string }> };
    expect(vercel.rewrites).toEqual(PAGE_REWRITES.map(({ source, destination }) => ({ source, destination })));
    const index = await (await get('/'))!.text();
    for (const { source, hash } of PAGE_REWRITES) {
      const res = (await get(source))!;
      expect(res.status, source).toBe(200);
      expect(await res.text()).toBe(index);
      expect(hashForPath(source)).toBe(hash);
      // Vercel matches the source exactly: neither a trailing slash nor a longer path is the page.
      expect(await get(`${source}/`), `${source}/`).toBeUndefined();
      expect(await get(`${source}x`), `${source}x`).toBeUndefined();
    }
    expect(hashForPath('/')).toBeUndefined();
  });

  it('serves nothing outside public/, no hidden file, no API path, and no other method', async () => {
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/.gitignore', '/assets/.x', '/api/video/jobs', '/nothing-here', '/%E0%A4%A']) {
      expect(await get(p), p).toBeUndefined();
    }
    expect(await get('/', 'POST')).toBeUndefined();
  });
});

describe('development sign-in', () => {
  const signIn = (route: ReturnType<typeof createDevSignInRoute>, body: unknown, host = '127.0.0.1:3000', method = 'POST') =>
    route(new Request(`http://127.0.0.1:3000${DEV_SIGN_IN_PATH}`, { method, headers: { host, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}) }));

  it('on loopback, mints a token the API accepts, for the demo professor or any user id', async () => {
    const config = await localConfig();
    const route = createDevSignInRoute(config);
    const verifier = createVerifier(config);
    const demo = (await signIn(route, {}))!;
    expect(demo.status).toBe(200);
    const session = (await demo.json()) as { access_token: string; token_type: string; expires_in: number; expires_at: number; user: { id: string } };
    expect(session.token_type).toBe('bearer');
    expect(session.user.id).toBe(DEMO_PROFESSOR_ID);
    expect(session.expires_at * 1000).toBeGreaterThan(Date.now() + 3500_000);
    expect(await verifier.verify(session.access_token)).toEqual({ userId: DEMO_PROFESSOR_ID, role: 'authenticated', admin: false });
    const other = '9f1c6b8e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';
    const second = (await (await signIn(route, { userId: other.toUpperCase() }))!.json()) as { access_token: string; user: { id: string } };
    expect(second.user.id).toBe(other);
    expect((await verifier.verify(second.access_token)).userId).toBe(other);
    for (const host of ['localhost:3000', '[::1]:3000']) expect((await signIn(route, {}, host))!.status, host).toBe(200);
  });

  it('refuses a bad user id by name, another method, and a request addressed to another name (DNS rebinding)', async () => {
    const route = createDevSignInRoute(await localConfig());
    const bad = (await signIn(route, { userId: 'prof-1' }))!;
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: Record<string, string> } }).error.fields).toEqual({ userId: 'must be a UUID' });
    const extra = (await signIn(route, { userId: DEMO_PROFESSOR_ID, role: 'service_role' }))!;
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: { fields: Record<string, string> } }).error.fields).toEqual({ role: 'is not a known field' });
    expect((await signIn(route, {}, '127.0.0.1:3000', 'GET'))!.status).toBe(405);
    const rebound = (await signIn(route, {}, 'attacker.example:3000'))!;
    expect(rebound.status).toBe(403);
    expect(await rebound.text()).not.toContain('access_token');
    expect(await route(new Request('http://127.0.0.1:3000/auth/other', { method: 'POST' }))).toBeUndefined();
  });

  it('is off when the server listens beyond loopback or Supabase is configured, and the page is told so', async () => {
    for (const env of [{ HOST: '0.0.0.0' }, { HOST: '192.168.1.20' }, { ...SUPABASE, SUPABASE_JWT_SECRET: 'x'.repeat(32) }] as Array<Record<string, string>>) {
      const config = await localConfig(env);
      const refused = (await signIn(createDevSignInRoute(config), {}))!;
      expect(refused.status, JSON.stringify(env)).toBe(404);
      expect(await refused.text()).not.toContain('access_token');
      expect(clientConfig(config, DEMO_PROFESSOR_ID).auth.mode).toBe('token');
    }
    expect(clientConfig(await localConfig(), DEMO_PROFESSOR_ID).auth).toEqual({ mode: 'dev', demoUserId: DEMO_PROFESSOR_ID });
  });
});

describe('GET /api/dashboard/config', () => {
  it('hands the page the publishable key, never the service-role key', async () => {
    // The pool connects lazily; this handler never queries.
    const config = await localConfig({ ...SUPABASE, SUPABASE_PUBLISHABLE_KEY: 'sb_publishable_abcdefghijklmnop', SUPABASE_JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    useServices(buildServices(config, {}));
    const response = await dashboardConfig(new Request('http://127.0.0.1:3000/api/dashboard/config'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(SUPABASE.SUPABASE_SERVICE_ROLE_KEY);
    expect(clientConfigSchema.parse(JSON.parse(text)).auth).toEqual({ mode: 'supabase', url: SUPABASE.SUPABASE_URL, publishableKey: 'sb_publishable_abcdefghijklmnop' });
  });

  it('refuses a secret key as the publishable key, at start-up, by name', () => {
    for (const key of ['sb_secret_abcdefghijklmnop', legacyKey('service_role'), 'plain-text']) {
      expect(() => loadConfig({ ...SUPABASE, SUPABASE_PUBLISHABLE_KEY: key }), key).toThrow(/SUPABASE_PUBLISHABLE_KEY: /);
    }
    expect(loadConfig({ ...SUPABASE, SUPABASE_PUBLISHABLE_KEY: legacyKey('anon') }).SUPABASE_PUBLISHABLE_KEY).toBe(legacyKey('anon'));
    expect(() => loadConfig({ SUPABASE_PUBLISHABLE_KEY: 'sb_publishable_x' })).toThrow(/only used with SUPABASE_URL/);
  });
});
