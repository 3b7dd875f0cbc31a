/**
 * An in-process Supabase Auth (GoTrue) server speaking the wire format supabase-js uses, as
 * strict as the real one where the dashboard touches it (checked against supabase/auth's
 * internal/api: errors.go, token.go, verify.go, logout.go, settings.go; and auth-js's fetch.ts):
 *
 * - every request needs the project's `apikey` header (Supabase's gateway refuses it otherwise);
 * - errors are `{ code, message }` when the request says `X-Supabase-Api-Version: 2024-01-01`
 *   (echoed back), and the legacy `{ code: <status>, error_code, msg }` otherwise;
 * - POST /token?grant_type=password|refresh_token|pkce, POST /otp (magic link, PKCE),
 *   GET /verify (redirects to redirect_to?code=…), GET /user, POST /logout, GET /settings, and
 *   the project's JWKS;
 * - access tokens are ES256 JWTs with Supabase's claims (iss `<url>/auth/v1`, aud and role
 *   `authenticated`, session_id, aal, amr), refresh tokens rotate and a used one is refused,
 *   logout ends the session so its refresh token and its access token's session stop working;
 * - CORS as the hosted gateway answers it (any origin, the headers supabase-js sends).
 *
 * Requests for other paths (`/storage/v1/…`) are forwarded to `forward`, so one origin serves a
 * whole "project" as SUPABASE_URL does.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, jwtVerify, createLocalJWKSet, type CryptoKey, type JWK } from 'jose';

export interface AuthUser {
  id: string;
  email: string;
  password: string;
  appMetadata?: Record<string, unknown>;
}

export interface AuthWireOptions {
  publishableKey: string;
  users: AuthUser[];
  /** Where to send requests that are not for /auth/v1 (the Storage double). */
  forward?: string;
  /** Access token lifetime (GoTrue's JWT_EXP). */
  accessTokenSeconds?: number;
}

export interface AuthWire {
  url: string;
  /** Magic links "sent" by POST /otp, newest last, as the email would carry them. */
  outbox: Array<{ email: string; link: string }>;
  requests: Array<{ method: string; path: string; grant?: string }>;
  /** The HTTP server, for a Realtime double to take its WebSocket upgrades (same origin, as on Supabase). */
  server: Server;
  /** The claims of an access token this Auth issued and whose session is live; throws otherwise. */
  verify(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const API_VERSION = '2024-01-01';

interface Session {
  id: string;
  userId: string;
  refreshTokens: Set<string>;
  revoked: Set<string>;
  ended: boolean;
}

export async function startAuthWire(options: AuthWireOptions): Promise<AuthWire> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwks = createLocalJWKSet({ keys: [jwk] });
  const users = new Map(options.users.map((u) => [u.email.toLowerCase(), u]));
  const sessions = new Map<string, Session>();
  const byRefresh = new Map<string, Session>();
  /** PKCE flow states: the code challenge an /otp carried, until /verify turns it into an auth code. */
  const otps = new Map<string, { email: string; challenge: string; redirectTo: string }>();
  const authCodes = new Map<string, { email: string; challenge: string }>();
  const outbox: AuthWire['outbox'] = [];
  const requests: AuthWire['requests'] = [];
  const ttl = options.accessTokenSeconds ?? 3600;
  let url = '';

  const userJson = (u: AuthUser) => ({
    id: u.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: u.email,
    email_confirmed_at: '2026-01-01T00:00:00Z',
    phone: '',
    confirmed_at: '2026-01-01T00:00:00Z',
    app_metadata: { provider: 'email', providers: ['email'], ...(u.appMetadata ?? {}) },
    user_metadata: {},
    identities: [],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    is_anonymous: false,
  });

  async function issue(user: AuthUser, method: string, existing?: Session) {
    const session = existing ?? { id: randomUUID(), userId: user.id, refreshTokens: new Set<string>(), revoked: new Set<string>(), ended: false };
    sessions.set(session.id, session);
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      email: user.email,
      phone: '',
      app_metadata: userJson(user).app_metadata,
      user_metadata: {},
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method, timestamp: now }],
      session_id: session.id,
      is_anonymous: false,
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(`${url}/auth/v1`)
      .setSubject(user.id)
      .setAudience('authenticated')
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(privateKey as CryptoKey);
    // GoTrue's refresh tokens are short random strings, rotated on every use.
    const refreshToken = randomBytes(9).toString('base64url');
    session.refreshTokens.add(refreshToken);
    byRefresh.set(refreshToken, session);
    return { access_token: accessToken, token_type: 'bearer', expires_in: ttl, expires_at: now + ttl, refresh_token: refreshToken, user: userJson(user) };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function fail(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
    const versioned = req.headers['x-supabase-api-version'] === API_VERSION;
    send(res, status, versioned ? { code, message } : { code: status, error_code: code, msg: message }, versioned ? { 'x-supabase-api-version': API_VERSION } : {});
  }

  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  async function bearerSession(req: IncomingMessage): Promise<{ session: Session; user: AuthUser } | string> {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return 'no_authorization';
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: `${url}/auth/v1` });
      const session = sessions.get(String(payload.session_id));
      const user = [...users.values()].find((u) => u.id === payload.sub);
      if (!session || session.ended || !user) return 'session_not_found';
      return { session, user };
    } catch {
      return 'bad_jwt';
    }
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    if (!options.forward) return fail(req, res, 404, 'not_found', 'Not found');
    const target = new URL(req.url ?? '/', options.forward);
    const proxied = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    proxied.on('error', () => res.destroy());
    req.pipe(proxied);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://auth.local');
    if (!target.pathname.startsWith('/auth/v1/')) return forward(req, res);
    const path = target.pathname.slice('/auth/v1'.length);
    const grant = target.searchParams.get('grant_type');
    requests.push({ method: req.method ?? 'GET', path, ...(grant ? { grant } : {}) });
    // The hosted gateway answers every origin's preflight with the headers supabase-js sends.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'x-supabase-api-version');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
        'access-control-max-age': '3600',
      });
      res.end();
      return;
    }
    if (path === '/.well-known/jwks.json' && req.method === 'GET') return send(res, 200, { keys: [jwk] });
    // /verify is opened from an email: a browser visit carries no apikey.
    if (path !== '/verify' && req.headers.apikey !== options.publishableKey) {
      return send(res, 401, { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' });
    }

    if (path === '/settings' && req.method === 'GET') {
      return send(res, 200, { external: { email: true, phone: false, anonymous_users: false }, disable_signup: true, mailer_autoconfirm: false, phone_autoconfirm: false, sms_provider: '', saml_enabled: false });
    }
    if (path === '/token' && req.method === 'POST') {
      const grant = target.searchParams.get('grant_type');
      const b = await body(req);
      if (grant === 'password') {
        if (typeof b.email !== 'string' || !b.email) return fail(req, res, 400, 'validation_failed', 'missing email or phone');
        const user = users.get(b.email.toLowerCase());
        if (!user || b.password !== user.password) return fail(req, res, 400, 'invalid_credentials', 'Invalid login credentials');
        return send(res, 200, await issue(user, 'password'));
      }
      if (grant === 'refresh_token') {
        const token = typeof b.refresh_token === 'string' ? b.refresh_token : '';
        const session = byRefresh.get(token);
        if (!session || session.ended) return fail(req, res, 400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
        if (session.revoked.has(token)) return fail(req, res, 400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
        session.revoked.add(token);
        const user = [...users.values()].find((u) => u.id === session.userId)!;
        return send(res, 200, await issue(user, 'password', session));
      }
      if (grant === 'pkce') {
        if (typeof b.auth_code !== 'string' || typeof b.code_verifier !== 'string' || !b.auth_code || !b.code_verifier) {
          return fail(req, res, 400, 'validation_failed', 'invalid request: both auth code and code verifier should be non-empty');
        }
        const flow = authCodes.get(b.auth_code);
        if (!flow) return fail(req, res, 404, 'flow_state_not_found', 'invalid flow state, no valid flow state found');
        const challenge = createHash('sha256').update(b.code_verifier).digest('base64url');
        if (challenge !== flow.challenge) return fail(req, res, 403, 'bad_code_verifier', 'code challenge does not match previously saved code verifier');
        authCodes.delete(b.auth_code);
        return send(res, 200, await issue(users.get(flow.email)!, 'otp'));
      }
      return fail(req, res, 400, 'unsupported_grant_type', 'unsupported_grant_type');
    }
    if (path === '/otp' && req.method === 'POST') {
      const b = await body(req);
      if (typeof b.email !== 'string' || !b.email) return fail(req, res, 400, 'validation_failed', 'An email address or phone number is required to sign in with OTP');
      const user = users.get(b.email.toLowerCase());
      // Sign-ups are off in this project: an unknown address is refused as GoTrue refuses it.
      if (!user) return fail(req, res, 422, 'otp_disabled', 'Signups not allowed for otp');
      if (b.code_challenge_method !== 's256' || typeof b.code_challenge !== 'string') {
        return fail(req, res, 400, 'validation_failed', 'PKCE flow requires code_challenge_method and code_challenge');
      }
      const redirectTo = target.searchParams.get('redirect_to') ?? url;
      const token = randomBytes(16).toString('hex');
      otps.set(token, { email: user.email.toLowerCase(), challenge: b.code_challenge, redirectTo });
      outbox.push({ email: user.email, link: `${url}/auth/v1/verify?token=${token}&type=magiclink&redirect_to=${encodeURIComponent(redirectTo)}` });
      return send(res, 200, {});
    }
    if (path === '/verify' && req.method === 'GET') {
      const otp = otps.get(target.searchParams.get('token') ?? '');
      const redirectTo = target.searchParams.get('redirect_to') ?? url;
      if (!otp) {
        // As GoTrue does: back to the site with the error in the fragment.
        res.writeHead(303, { location: `${redirectTo}#error=access_denied&error_code=otp_expired&error_description=${encodeURIComponent('Email link is invalid or has expired')}` });
        res.end();
      return;
      }
      otps.delete(target.searchParams.get('token')!);
      const code = randomUUID();
      authCodes.set(code, { email: otp.email, challenge: otp.challenge });
      const back = new URL(otp.redirectTo);
      back.searchParams.set('code', code);
      res.writeHead(303, { location: back.toString() });
      res.end();
      return;
    }
    if (path === '/user' && req.method === 'GET') {
      const found = await bearerSession(req);
      if (typeof found === 'string') return fail(req, res, found === 'no_authorization' ? 401 : 403, found, found === 'session_not_found' ? 'Session from session_id claim in JWT does not exist' : 'invalid JWT: unable to parse or verify signature');
      return send(res, 200, userJson(found.user));
    }
    if (path === '/logout' && req.method === 'POST') {
      const found = await bearerSession(req);
      if (typeof found === 'string') return fail(req, res, found === 'no_authorization' ? 401 : 403, found, 'invalid JWT: unable to parse or verify signature');
      const scope = target.searchParams.get('scope') ?? 'global';
      for (const s of sessions.values()) if (scope === 'global' ? s.userId === found.session.userId : s === found.session) s.ended = true;
      res.writeHead(204);
      res.end();
      return;
    }
    return fail(req, res, 404, 'not_found', 'Not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    outbox,
    requests,
    server,
    async verify(token) {
      const { payload } = await jwtVerify(token, jwks, { issuer: `${url}/auth/v1` });
      const session = sessions.get(String(payload.session_id));
      if (!session || session.ended) throw new Error('session_not_found');
      return payload as Record<string, unknown>;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
