/**
 * Supabase Auth in the browser, through supabase-js with the project's URL and publishable key
 * from GET /api/dashboard/config. Magic links use PKCE: the link comes back with `?code=`,
 * which supabase-js exchanges for a session on load (the verifier never left this browser).
 * supabase-js refreshes the session before it expires; every change reaches the page's Session.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Session } from './session.js';
import { SignInError } from './sign-in.js';

export interface SupabaseAuth {
  client: SupabaseClient;
  signInWithPassword(email: string, password: string): Promise<void>;
  /** Sends the magic link; resolves once Supabase has accepted the request. */
  sendMagicLink(email: string): Promise<void>;
  signOut(): Promise<void>;
}

export function createSupabaseAuth(url: string, publishableKey: string, session: Session): SupabaseAuth {
  const client: SupabaseClient = createClient(url, publishableKey, {
    auth: { flowType: 'pkce', persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
  });
  client.auth.onAuthStateChange((event, current) => {
    if (current) {
      session.signIn({ accessToken: current.access_token, userId: current.user.id, email: current.user.email, expiresAt: current.expires_at ?? Math.floor(Date.now() / 1000) + current.expires_in });
      // The magic link's ?code= has done its job; a reload must not try to exchange it again.
      if (new URL(location.href).searchParams.has('code')) history.replaceState(null, '', `${location.pathname}${location.hash}`);
    } else if (event === 'SIGNED_OUT') {
      session.signOut();
    }
  });
  const failure = (error: { message: string; code?: string | undefined }, field?: string) =>
    new SignInError(error.code === 'invalid_credentials' ? 'The email or password is not right' : error.message, field);
  return {
    client,
    async signInWithPassword(email, password) {
      const { error } = await client.auth.signInWithPassword({ email, password });
      if (error) throw failure(error, error.code === 'invalid_credentials' ? 'password' : undefined);
    },
    async sendMagicLink(email) {
      const { error } = await client.auth.signInWithOtp({ email, options: { emailRedirectTo: `${location.origin}/`, shouldCreateUser: false } });
      if (error) throw failure(error, 'email');
    },
    async signOut() {
      // Ends the session at Supabase too; signed out here whatever its answer.
      await client.auth.signOut().catch(() => undefined);
      session.signOut();
    },
  };
}
