/**
 * Who is signed in, and how signing in works on this deployment (GET /api/dashboard/config says
 * which): development sign-in under `npm start`, a pasted access token, or Supabase Auth. The
 * views only see `Session`; a new way to sign in is a new SignInMethod, nothing else changes.
 */
export interface SessionState {
  accessToken: string;
  userId: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** Shown instead of the id when the sign-in knows it (Supabase Auth). */
  email?: string | undefined;
}

export type AuthStatus =
  | { kind: 'signed-in'; session: SessionState }
  | { kind: 'signed-out'; reason?: string };

export interface Session {
  status(): AuthStatus;
  token(): string | undefined;
  signIn(state: SessionState): void;
  signOut(reason?: string): void;
  /** The API refused the token (401): signed out, with the server's reason. */
  expire(reason: string): void;
  subscribe(listener: () => void): () => void;
}

const STORAGE_KEY = 'explainer-dashboard.session';

/** The `sub` and `exp` of a JWT, read without verifying (the server verifies; the page only needs to know when it ends). */
export function tokenClaims(token: string): { sub?: string; exp?: number } | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; exp?: unknown };
    return {
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
    };
  } catch {
    return undefined;
  }
}

function read(storage: Storage | undefined): SessionState | undefined {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<SessionState>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.userId !== 'string' || typeof parsed.expiresAt !== 'number') return undefined;
    return parsed as SessionState;
  } catch {
    return undefined;
  }
}

/**
 * The session lives in sessionStorage: it survives a reload but not the tab, and another site's
 * page cannot read it. It ends by itself at its expiry, with a reason the sign-in page shows.
 */
export function createSession(storage: Storage | undefined = globalThis.sessionStorage, now: () => number = Date.now): Session {
  const listeners = new Set<() => void>();
  let status: AuthStatus = { kind: 'signed-out' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const notify = () => listeners.forEach((l) => l());
  const set = (next: AuthStatus) => {
    status = next;
    clearTimeout(timer);
    if (next.kind === 'signed-in') {
      storage?.setItem(STORAGE_KEY, JSON.stringify(next.session));
      const left = next.session.expiresAt * 1000 - now();
      // setTimeout holds at most ~24.8 days; a session is an hour.
      timer = setTimeout(() => set({ kind: 'signed-out', reason: 'Your session has ended. Sign in again to continue.' }), Math.min(Math.max(0, left), 2 ** 31 - 1));
    } else {
      storage?.removeItem(STORAGE_KEY);
    }
    notify();
  };
  const stored = read(storage);
  if (stored && stored.expiresAt * 1000 > now() + 5000) set({ kind: 'signed-in', session: stored });
  else if (stored) set({ kind: 'signed-out', reason: 'Your session has ended. Sign in again to continue.' });

  return {
    status: () => status,
    token: () => (status.kind === 'signed-in' ? status.session.accessToken : undefined),
    signIn: (session) => set({ kind: 'signed-in', session }),
    signOut: (reason) => set({ kind: 'signed-out', ...(reason ? { reason } : {}) }),
    expire: (reason) => {
      if (status.kind === 'signed-in') set({ kind: 'signed-out', reason: `The server refused your session (${reason}). Sign in again.` });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
