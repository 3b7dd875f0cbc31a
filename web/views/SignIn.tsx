/** Signing in, the way this deployment offers (GET /api/dashboard/config). */
import { useState } from 'preact/hooks';
import type { ClientConfig } from '../../lib/dashboard/client-config.js';
import { Field, Notice } from '../components/ui.js';
import type { Session } from '../session.js';
import { devSignIn, SignInError, tokenSignIn } from '../sign-in.js';
import type { SupabaseAuth } from '../supabase-auth.js';

export function SignIn({ config, session, supabase, reason }: { config: ClientConfig; session: Session; supabase?: SupabaseAuth | undefined; reason?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string | undefined }>();
  const [userId, setUserId] = useState('');
  const [token, setToken] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [linkSent, setLinkSent] = useState<string>();

  const attempt = async (work: () => Promise<void> | void) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(err instanceof SignInError ? { message: err.message, field: err.field } : { message: 'Sign-in failed. Try again.' });
    } finally {
      setBusy(false);
    }
  };

  const auth = config.auth;
  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <h1>Explainer videos</h1>
        <p class="lead">Turn your answers to students' questions into short explainer videos.</p>
        {reason && <Notice kind="warning">{reason}</Notice>}
        {error && !error.field && <Notice kind="error">{error.message}</Notice>}
        {auth.mode === 'dev' && (
          <>
            <p class="hint">Local development: no accounts, sign in as anyone. Only this machine can reach this page.</p>
            <button type="button" class="button-primary button-wide" disabled={busy} onClick={() => attempt(async () => session.signIn(await devSignIn(auth.demoUserId)))}>
              Continue as the demo professor
            </button>
            <form
              class="signin-other"
              onSubmit={(e) => {
                e.preventDefault();
                void attempt(async () => session.signIn(await devSignIn(userId.trim())));
              }}
            >
              <Field id="dev-user" label="Or sign in as another user id" hint="A UUID; each id is a separate professor with their own jobs." error={error?.field === 'userId' ? error.message : undefined}>
                {(a11y) => <input {...a11y} type="text" inputMode="text" autoComplete="off" spellcheck={false} placeholder="00000000-0000-4000-8000-000000000001" value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />}
              </Field>
              <button type="submit" class="button-secondary" disabled={busy || !userId.trim()}>
                Sign in as this user
              </button>
            </form>
          </>
        )}
        {auth.mode === 'token' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void attempt(() => session.signIn(tokenSignIn(token)));
            }}
          >
            <Notice kind="info">{auth.reason}.</Notice>
            <Field id="token" label="Access token" error={error?.field === 'token' ? error.message : undefined}>
              {(a11y) => <textarea {...a11y} rows={4} spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} />}
            </Field>
            <button type="submit" class="button-primary button-wide" disabled={busy || !token.trim()}>
              Sign in with this token
            </button>
          </form>
        )}
        {auth.mode === 'supabase' && supabase && (
          <>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void attempt(() => supabase.signInWithPassword(email.trim(), password));
              }}
            >
              <Field id="email" label="Email" error={error?.field === 'email' ? error.message : undefined}>
                {(a11y) => <input {...a11y} type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
              </Field>
              <Field id="password" label="Password" error={error?.field === 'password' ? error.message : undefined}>
                {(a11y) => <input {...a11y} type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
              </Field>
              <button type="submit" class="button-primary button-wide" disabled={busy || !email.trim() || !password}>
                Sign in
              </button>
            </form>
            <div class="signin-other">
              {linkSent ? (
                <Notice kind="info">We sent a sign-in link to {linkSent}. Open it on this device to continue.</Notice>
              ) : (
                <button
                  type="button"
                  class="button-secondary button-wide"
                  disabled={busy || !email.trim()}
                  onClick={() =>
                    attempt(async () => {
                      await supabase.sendMagicLink(email.trim());
                      setLinkSent(email.trim());
                    })
                  }
                >
                  Email me a sign-in link instead
                </button>
              )}
            </div>
          </>
        )}
      </div>
    </main>
  );
}
