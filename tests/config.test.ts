/** The environment as loadConfig reads it: production runs on the real services or refuses to start, naming what is missing. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listensOnLoopback, loadConfig } from '../lib/config.js';
import { configRefusal as refusal } from './support/refusals.js';

const PRODUCTION = {
  VERCEL_ENV: 'production',
  DATABASE_URL: 'postgres://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres',
  SUPABASE_URL: 'https://ref.supabase.co',
  SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_service-role-key',
  GEMINI_API_KEY: 'AIza-key',
};

describe('loadConfig in production', () => {
  it('with the real services named, runs on them', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({ production: true, provider: 'veo', storage: 'supabase' });
    const { GEMINI_API_KEY: _key, ...vertex } = PRODUCTION;
    expect(loadConfig({ ...vertex, GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'p' })).toMatchObject({ provider: 'veo' });
  });

  it('never falls back to the local stand-ins: each missing service is named', () => {
    for (const name of ['DATABASE_URL', 'GEMINI_API_KEY'] as const) {
      const { [name]: _gone, ...env } = PRODUCTION;
      expect(refusal(env).variables).toEqual([name]);
    }
    const { SUPABASE_URL: _u, SUPABASE_SERVICE_ROLE_KEY: _k, ...noSupabase } = PRODUCTION;
    expect(refusal(noSupabase).variables).toEqual(['SUPABASE_URL']);
    expect(refusal({ ...PRODUCTION, MOCK_MODE: 'true' }).variables).toEqual(['MOCK_MODE']);
    expect(refusal({ VERCEL_ENV: 'production' }).message).toMatch(/DATABASE_URL .*SUPABASE_URL .*GEMINI_API_KEY/);
  });

  it('a preview deployment is held to the same rules; `vercel dev` and no VERCEL_ENV run the stand-ins', () => {
    expect(refusal({ VERCEL_ENV: 'preview' }).variables).toEqual(['DATABASE_URL', 'SUPABASE_URL', 'GEMINI_API_KEY']);
    expect(loadConfig({ ...PRODUCTION, VERCEL_ENV: 'preview' })).toMatchObject({ production: true });
    expect(loadConfig({ VERCEL_ENV: 'development' })).toMatchObject({ production: false, provider: 'local', storage: 'local' });
    expect(loadConfig({})).toMatchObject({ production: false, provider: 'local', storage: 'local' });
  });

  it('the model storyboard cannot be given longer than the generate function may run', async () => {
    const vercel = JSON.parse(await readFile(path.join(import.meta.dirname, '..', 'vercel.json'), 'utf8')) as { functions: Record<string, { maxDuration: number }> };
    const generateMs = vercel.functions['api/video/generate.ts']!.maxDuration * 1000;
    expect(refusal({ STORYBOARD_TIMEOUT_MS: String(generateMs) }).variables).toEqual(['STORYBOARD_TIMEOUT_MS']);
    expect(loadConfig({ STORYBOARD_TIMEOUT_MS: String(generateMs - 3000) }).STORYBOARD_TIMEOUT_MS).toBe(generateMs - 3000);
  });

  it('GENERATE_MAX_DURATION_SECONDS mirrors the maxDuration of generate, batch and retry, and leaves a create its whole timeout', async () => {
    const vercel = JSON.parse(await readFile(path.join(import.meta.dirname, '..', 'vercel.json'), 'utf8')) as { functions: Record<string, { maxDuration: number }> };
    const mirrored = loadConfig({}).GENERATE_MAX_DURATION_SECONDS;
    for (const f of ['api/video/generate.ts', 'api/video/generate/batch.ts', 'api/video/jobs/[id]/retry.ts', 'api/video/callbacks/[provider].ts']) expect(vercel.functions[f]!.maxDuration, f).toBe(mirrored);
    expect(refusal({ GENERATE_MAX_DURATION_SECONDS: '15', REQUEST_TIMEOUT_MS: '30000' }).variables).toEqual(['GENERATE_MAX_DURATION_SECONDS']);
    expect(loadConfig({ GENERATE_MAX_DURATION_SECONDS: '60', REQUEST_TIMEOUT_MS: '30000' }).GENERATE_MAX_DURATION_SECONDS).toBe(60);
  });
});

describe('VIDEO_PROVIDER, MOCK_MODE and the per-provider caps', () => {
  const LUMA = { LUMA_API_KEY: 'luma-key' };

  it('the default is Veo with a Google key, else Luma with a Luma key, else the stand-in; every configured provider may be named', () => {
    expect(loadConfig({})).toMatchObject({ provider: 'local', providers: ['local'], google: false, imageProvider: 'local' });
    expect(loadConfig({ GEMINI_API_KEY: 'k' })).toMatchObject({ provider: 'veo', providers: ['veo', 'local'], google: true, imageProvider: 'veo' });
    expect(loadConfig(LUMA)).toMatchObject({ provider: 'luma', providers: ['luma', 'local'] });
    expect(loadConfig({ ...LUMA, GEMINI_API_KEY: 'k' })).toMatchObject({ provider: 'veo', providers: ['veo', 'luma', 'local'] });
    expect(loadConfig({ ...LUMA, GEMINI_API_KEY: 'k', VIDEO_PROVIDER: 'luma' })).toMatchObject({ provider: 'luma', providers: ['luma', 'veo', 'local'] });
    expect(loadConfig({ GEMINI_API_KEY: 'k', VIDEO_PROVIDER: 'local' })).toMatchObject({ provider: 'local', providers: ['local', 'veo'] });
  });

  it('MOCK_MODE=true is the stand-in for every job, and refuses a paid VIDEO_PROVIDER beside it', () => {
    expect(loadConfig({ ...LUMA, GEMINI_API_KEY: 'k', MOCK_MODE: 'true' })).toMatchObject({ provider: 'local', providers: ['local'], google: false, imageProvider: 'local' });
    const both = refusal({ GEMINI_API_KEY: 'k', MOCK_MODE: 'true', VIDEO_PROVIDER: 'veo' });
    expect(both.variables).toEqual(['VIDEO_PROVIDER', 'MOCK_MODE']);
    expect(both.message).toMatch(/cannot run with MOCK_MODE=true/);
  });

  it('a named provider must be configured; an unknown one is named with the choices', () => {
    expect(refusal({ VIDEO_PROVIDER: 'luma' }).message).toBe('VIDEO_PROVIDER: luma needs LUMA_API_KEY');
    expect(refusal({ VIDEO_PROVIDER: 'veo' }).variables).toEqual(['VIDEO_PROVIDER']);
    expect(refusal({ VIDEO_PROVIDER: 'runway' }).message).toMatch(/VIDEO_PROVIDER: must be one of veo, luma, local/);
  });

  it('a deployment may run on Luma alone, with no stills; never on the stand-in', () => {
    const { GEMINI_API_KEY: _g, ...noGoogle } = PRODUCTION;
    const lumaOnly = loadConfig({ ...noGoogle, ...LUMA });
    expect(lumaOnly).toMatchObject({ provider: 'luma', providers: ['luma'], google: false });
    expect(lumaOnly.imageProvider).toBeUndefined();
    expect(refusal({ ...PRODUCTION, VIDEO_PROVIDER: 'local' }).variables).toEqual(['VIDEO_PROVIDER']);
    expect(loadConfig(PRODUCTION).providers).toEqual(['veo']);
  });

  it('per-provider caps sit within MAX_IN_FLIGHT; callbacks go on with an https origin', () => {
    expect(loadConfig({ MAX_IN_FLIGHT: '10', MAX_IN_FLIGHT_LUMA: '3' }).inFlightCaps).toEqual({ luma: 3 });
    expect(refusal({ MAX_IN_FLIGHT: '10', MAX_IN_FLIGHT_VEO: '11' }).variables).toEqual(['MAX_IN_FLIGHT_VEO']);
    expect(refusal({ MAX_IN_FLIGHT_LUMA: '0' }).variables).toEqual(['MAX_IN_FLIGHT_LUMA']);
    expect(loadConfig({ ...LUMA, PUBLIC_BASE_URL: 'https://x.example.edu' }).lumaCallbacks).toBe(true);
    expect(loadConfig({ ...LUMA }).lumaCallbacks).toBe(false);
    expect(loadConfig({ ...LUMA, PUBLIC_BASE_URL: 'https://x.example.edu', LUMA_CALLBACKS: 'false' }).lumaCallbacks).toBe(false);
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://x.example.edu' }).lumaCallbacks).toBe(false);
  });
});

describe('HOST and the public base URL', () => {
  it('npm start listens on loopback unless HOST says otherwise; a bad HOST is named', () => {
    expect(loadConfig({})).toMatchObject({ HOST: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:3000' });
    expect(listensOnLoopback(loadConfig({}))).toBe(true);
    expect(listensOnLoopback(loadConfig({ HOST: '::1' }))).toBe(true);
    expect(listensOnLoopback(loadConfig({ HOST: 'localhost' }))).toBe(true);
    expect(listensOnLoopback(loadConfig({ HOST: '0.0.0.0' }))).toBe(false);
    expect(listensOnLoopback(loadConfig({ HOST: '192.168.1.20' }))).toBe(false);
    expect(refusal({ HOST: 'evil.example' }).variables).toEqual(['HOST']);
  });

  it('absolute URLs start with PUBLIC_BASE_URL, else the Vercel deployment, else the listen origin', () => {
    expect(loadConfig({ ...PRODUCTION, PUBLIC_BASE_URL: 'https://api.example.edu/' }).publicBaseUrl).toBe('https://api.example.edu');
    expect(loadConfig({ ...PRODUCTION, VERCEL_URL: 'x-123.vercel.app', VERCEL_PROJECT_PRODUCTION_URL: 'explainers.example.edu' }).publicBaseUrl).toBe('https://explainers.example.edu');
    expect(loadConfig({ ...PRODUCTION, VERCEL_ENV: 'preview', VERCEL_URL: 'x-123.vercel.app', VERCEL_PROJECT_PRODUCTION_URL: 'explainers.example.edu' }).publicBaseUrl).toBe('https://x-123.vercel.app');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicBaseUrl).toBe('http://[::1]:8080');
  });
});

describe('Veo setups Google does not serve are refused at start-up', () => {
  it.each([
    ['veo-2.0-generate-001', 'veo-3.1-generate-001'],
    ['veo-3.0-generate-001', 'veo-3.1-generate-001'],
    ['veo-3.0-fast-generate-001', 'veo-3.1-fast-generate-001'],
  ])('VEO_MODEL=%s is discontinued: refused, naming %s', (VEO_MODEL, successor) => {
    const err = refusal({ GEMINI_API_KEY: 'AIza-key', VEO_MODEL });
    expect(err.variables).toEqual(['VEO_MODEL']);
    expect(err.message).toContain(successor);
  });

  it('current models start', () => {
    for (const VEO_MODEL of ['veo-3.1-generate-001', 'veo-3.1-fast-generate-001', 'veo-3.1-fast-generate-preview']) {
      expect(loadConfig({ GEMINI_API_KEY: 'AIza-key', VEO_MODEL }).VEO_MODEL).toBe(VEO_MODEL);
    }
  });

  it('Vertex express mode (an API key, no project) is refused, naming the variables and both supported setups', () => {
    for (const [keyName, flag] of [['GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI'], ['GEMINI_API_KEY', 'GOOGLE_GENAI_USE_ENTERPRISE']] as const) {
      const err = refusal({ [flag]: 'true', [keyName]: 'AIza-key' });
      expect(err.variables).toEqual([flag, 'GOOGLE_CLOUD_PROJECT', keyName]);
      expect(err.message).toMatch(/express mode/);
      expect(err.message).toContain(`Gemini Developer API (GEMINI_API_KEY or GOOGLE_API_KEY, without ${flag})`);
      expect(err.message).toMatch(/GOOGLE_CLOUD_PROJECT, a regional GOOGLE_CLOUD_LOCATION .*credentials \(GOOGLE_APPLICATION_CREDENTIALS_JSON/);
    }
    // Not even a production deployment's other checks are reached: the setup itself is wrong.
    const { GEMINI_API_KEY: _key, ...production } = PRODUCTION;
    expect(refusal({ ...production, GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_API_KEY: 'AIza-key' }).variables).toContain('GOOGLE_CLOUD_PROJECT');
  });

  it('Vertex without a project and without a key is refused with the same two setups; either supported setup starts', () => {
    const err = refusal({ GOOGLE_GENAI_USE_VERTEXAI: 'true' });
    expect(err.variables).toEqual(['GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_CLOUD_PROJECT']);
    expect(err.message).toMatch(/^GOOGLE_GENAI_USE_VERTEXAI needs GOOGLE_CLOUD_PROJECT\. Use either the Gemini Developer API/);
    expect(loadConfig({ GOOGLE_API_KEY: 'AIza-key' })).toMatchObject({ provider: 'veo', GOOGLE_GENAI_USE_VERTEXAI: false });
    expect(loadConfig({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'demo', GOOGLE_CLOUD_LOCATION: 'europe-west4' })).toMatchObject({ provider: 'veo' });
    // A key beside a project is not express mode: the project wins (lib/providers/google-client.ts sends no key to Vertex).
    expect(loadConfig({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'demo', GOOGLE_API_KEY: 'AIza-key' })).toMatchObject({ provider: 'veo' });
  });

  it('GOOGLE_CLOUD_LOCATION=global on Vertex is refused, naming a regional location; a region starts', () => {
    const vertex = { GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'demo' };
    const err = refusal({ ...vertex, GOOGLE_CLOUD_LOCATION: 'global' });
    expect(err.variables).toEqual(['GOOGLE_CLOUD_LOCATION']);
    expect(err.message).toMatch(/us-central1/);
    expect(loadConfig({ ...vertex, GOOGLE_CLOUD_LOCATION: 'us-central1' }).GOOGLE_CLOUD_LOCATION).toBe('us-central1');
  });
});

describe('SUPABASE_SERVICE_ROLE_KEY must be a service key', () => {
  const jwt = (payload: object) => ['{"alg":"HS256","typ":"JWT"}', JSON.stringify(payload)].map((p) => Buffer.from(p).toString('base64url')).concat('sig').join('.');
  const env = (key: string) => ({ SUPABASE_URL: 'https://ref.supabase.co', SUPABASE_SERVICE_ROLE_KEY: key });
  it.each([
    ['the legacy anon JWT', jwt({ iss: 'supabase', ref: 'ref', role: 'anon' }), /role "anon"/],
    ['a publishable key', 'sb_publishable_abcdefghijklmnop', /publishable/],
    ['an arbitrary string', 'service-role-key', /sb_secret_/],
  ])('%s is refused, naming the variable', (_what, key, reason) => {
    const err = refusal(env(key));
    expect(err.variables).toEqual(['SUPABASE_SERVICE_ROLE_KEY']);
    expect(err.message).toMatch(reason);
  });
  it('a secret key and the legacy service_role JWT start', () => {
    expect(loadConfig(env('sb_secret_abcdefghijklmnop')).storage).toBe('supabase');
    expect(loadConfig(env(jwt({ iss: 'supabase', ref: 'ref', role: 'service_role' }))).storage).toBe('supabase');
  });
});

describe('OPS_ADMIN_USER_IDS', () => {
  it('is a comma-separated list of user ids, trimmed, lower-cased, empty by default', () => {
    expect(loadConfig({}).OPS_ADMIN_USER_IDS).toEqual([]);
    expect(loadConfig({ OPS_ADMIN_USER_IDS: '  ' }).OPS_ADMIN_USER_IDS).toEqual([]);
    const ids = loadConfig({ OPS_ADMIN_USER_IDS: ' 7D3F5A52-3F4E-4B7A-9C1E-2A9B8C7D6E5F, 11111111-1111-4111-8111-111111111111,' }).OPS_ADMIN_USER_IDS;
    expect(ids).toEqual(['7d3f5a52-3f4e-4b7a-9c1e-2a9b8c7d6e5f', '11111111-1111-4111-8111-111111111111']);
  });

  it('refuses anything that is not a UUID, naming the variable and the bad entry', () => {
    const err = refusal({ OPS_ADMIN_USER_IDS: '11111111-1111-4111-8111-111111111111, alice@example.edu' });
    expect(err.variables).toEqual(['OPS_ADMIN_USER_IDS']);
    expect(err.message).toBe('Invalid environment: OPS_ADMIN_USER_IDS: must be Supabase user ids (UUIDs) separated by commas; not a UUID: "alice@example.edu"');
    // Another separator makes one long entry, shown clipped.
    expect(refusal({ OPS_ADMIN_USER_IDS: '11111111-1111-4111-8111-111111111111; 22222222-2222-4222-8222-222222222222' }).message).toMatch(/not a UUID: "11111111-1111-4111-8111-111111111111; 22222222-2222-4222-822…"$/);
  });
});
