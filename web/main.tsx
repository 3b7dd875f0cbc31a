/**
 * The dashboard's entry: read how this deployment signs in, restore the session, and show the
 * view the address names. Everything the page knows about limits and choices comes from the API.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ClientConfig } from '../lib/dashboard/client-config.js';
import { hashForPath } from '../lib/dashboard/page-paths.js';
import type { Capabilities } from '../lib/jobs/capabilities.js';
import { createApi, type Api } from './api.js';
import { Notice, Spinner } from './components/ui.js';
import { href, useRoute } from './router.js';
import { createSession, type AuthStatus, type Session } from './session.js';
import { createLiveChanges } from './live-changes.js';
import { createSupabaseAuth } from './supabase-auth.js';
import { JobPage } from './views/JobPage.js';
import { JobsList } from './views/JobsList.js';
import { NewExplainer } from './views/NewExplainer.js';
import { OpsView } from './views/OpsView.js';
import { SignIn } from './views/SignIn.js';
import './styles.css';

function useAuth(session: Session): AuthStatus {
  const [status, setStatus] = useState(session.status());
  useEffect(() => session.subscribe(() => setStatus(session.status())), [session]);
  return status;
}

/**
 * Whether the signed-in user is an operator, to offer the operator view in the menu. Asked
 * again for each user; until the answer comes, or if it cannot be had, the link is not offered
 * (the view itself still answers anyone who opens /ops).
 */
function useOperator(api: Api, userId: string | undefined): boolean {
  const [operator, setOperator] = useState(false);
  useEffect(() => {
    setOperator(false);
    if (!userId) return;
    const aborter = new AbortController();
    api
      .request<Capabilities>('/api/video/capabilities', { signal: aborter.signal })
      .then((caps) => setOperator(caps.operator))
      .catch(() => undefined);
    return () => aborter.abort();
  }, [api, userId]);
  return operator;
}

function userLabel(userId: string, config: ClientConfig, email?: string): string {
  if (config.auth.mode === 'dev' && userId === config.auth.demoUserId) return 'Demo professor';
  if (email) return email;
  return /^[0-9a-f-]{36}$/i.test(userId) ? `User ${userId.slice(0, 8)}` : userId;
}

function App({ config }: { config: ClientConfig }) {
  const session = useMemo(() => createSession(), []);
  const supabase = useMemo(() => (config.auth.mode === 'supabase' ? createSupabaseAuth(config.auth.url, config.auth.publishableKey, session) : undefined), [session]);
  const api = useMemo(() => createApi(session), [session]);
  const auth = useAuth(session);
  const route = useRoute();
  const userId = auth.kind === 'signed-in' ? auth.session.userId : undefined;
  const changes = useMemo(() => (supabase && userId ? createLiveChanges(supabase.client, userId) : undefined), [supabase, userId]);
  useEffect(() => () => changes?.stop(), [changes]);
  const operator = useOperator(api, userId);

  useEffect(() => {
    const titles = { jobs: 'Your explainers', new: 'New explainer', job: 'Explainer', ops: 'Operations', 'not-found': 'Not found' } as const;
    document.title = auth.kind === 'signed-in' ? `${titles[route.name]} · Explainer videos` : 'Sign in · Explainer videos';
  }, [route.name, auth.kind]);

  if (auth.kind === 'signed-out') return <SignIn config={config} session={session} supabase={supabase} reason={auth.reason} />;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href({ name: 'jobs' })}>
          Explainer videos
        </a>
        <nav aria-label="Main">
          <a href={href({ name: 'jobs' })} aria-current={route.name === 'jobs' ? 'page' : undefined}>
            Explainers
          </a>
          <a href={href({ name: 'new' })} aria-current={route.name === 'new' ? 'page' : undefined}>
            New
          </a>
          {operator && (
            <a href={href({ name: 'ops' })} aria-current={route.name === 'ops' ? 'page' : undefined}>
              Operations
            </a>
          )}
        </nav>
        <div class="user">
          <span class="user-name" title={auth.session.userId}>
            {userLabel(auth.session.userId, config, auth.session.email)}
          </span>
          <button type="button" class="button-quiet" onClick={() => void (supabase ? supabase.signOut() : session.signOut())}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content" tabIndex={-1}>
        {route.name === 'jobs' && <JobsList api={api} route={route} changes={changes} />}
        {route.name === 'new' && <NewExplainer api={api} />}
        {route.name === 'job' && <JobPage api={api} id={route.id} changes={changes} />}
        {route.name === 'ops' && <OpsView api={api} />}
        {route.name === 'not-found' && (
          <Notice kind="error">
            Nothing here. <a href={href({ name: 'jobs' })}>Back to your explainers</a>
          </Notice>
        )}
      </main>
    </>
  );
}

function Boot() {
  const [config, setConfig] = useState<ClientConfig>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    fetch('/api/dashboard/config', { cache: 'no-store' })
      .then(async (r) => {
        if (!r.ok) throw new Error(`the server answered ${r.status}`);
        setConfig((await r.json()) as ClientConfig);
      })
      .catch((err: unknown) => setFailed(err instanceof Error ? err.message : String(err)));
  }, []);
  if (failed) return <main class="content"><Notice kind="error">The dashboard could not start: {failed}. Reload to try again.</Notice></main>;
  if (!config) return <main class="content"><Spinner label="Starting…" /></main>;
  return <App config={config} />;
}

// A path that stands for a view (`/ops`, rewritten to this page) becomes its hash route, which
// every link and reload of the page then keeps.
const viewHash = hashForPath(location.pathname);
if (viewHash) history.replaceState(null, '', `/${viewHash}`);

render(<Boot />, document.getElementById('app')!);
