/** Signing in, the way this deployment offers (GET /api/dashboard/config). */
import { useState } from 'preact/hooks';
import type { ClientConfig } from '../../lib/dashboard/client-config.js';
import { Field, Notice } from '../components/ui.js';
import type { Session } from '../session.js';
import { devSignIn, SignInError, tokenSignIn } from '../sign-in.js';

export function SignIn({ config, session, reason }: { config: ClientConfig; session: Session; reason?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string | undefined }>();
  const [userId, setUserId] = useState('');
  const [token, setToken] = useState('');

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
        {auth.mode === 'supabase' && <Notice kind="info">Supabase sign-in is configured for this deployment but not yet offered by this page; paste an access token instead.</Notice>}
      </div>
    </main>
  );
}
