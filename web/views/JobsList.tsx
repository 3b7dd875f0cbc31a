/** The professor's jobs, newest first, filtered by status, paged by the list's cursor, kept live while any job runs. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type JobList, type JobSummary } from '../api.js';
import { ProgressBar, Notice, Spinner, StatusBadge } from '../components/ui.js';
import { ago, headline, isActive, STATUS_LABEL } from '../format.js';
import type { LiveChanges } from '../live-changes.js';
import { JOB_POLL, LIVE_POLL, startPolling, type Poller } from '../live.js';
import { href, type Route } from '../router.js';
import { useLive } from '../use-live.js';
import { useNow } from '../use-now.js';

const FILTERS: Array<{ status?: string; label: string }> = [
  { label: 'All' },
  { status: 'processing', label: STATUS_LABEL.processing! },
  { status: 'pending', label: STATUS_LABEL.pending! },
  { status: 'completed', label: STATUS_LABEL.completed! },
  { status: 'failed', label: STATUS_LABEL.failed! },
  { status: 'canceled', label: STATUS_LABEL.canceled! },
];

/** What the list shows of a page, without its URLs: they are signed afresh on every read. */
function fingerprint(page: JobList): string {
  return JSON.stringify(page.jobs.map((j) => [j.id, j.status, j.progress, j.currentStep, Boolean(j.posterUrl)]));
}

function listPath(route: Extract<Route, { name: 'jobs' }>, cursor?: string): string {
  const params = new URLSearchParams({ limit: '20' });
  if (route.status) params.set('status', route.status);
  if (route.escalationId) params.set('escalationId', route.escalationId);
  if (cursor) params.set('cursor', cursor);
  return `/api/video/jobs?${params}`;
}

function JobRow({ job, now }: { job: JobSummary; now: number }) {
  const active = isActive(job.status);
  return (
    <li class="job-row">
      <a class="job-link" href={href({ name: 'job', id: job.id })}>
        <div class="thumb" aria-hidden="true">
          {job.posterUrl ? <img src={job.posterUrl} alt="" loading="lazy" width={96} height={54} /> : <span class={`thumb-empty thumb-${job.status}`} />}
        </div>
        <div class="job-main">
          <span class="job-title">{headline(job.title)}</span>
          <span class="job-meta">
            <StatusBadge status={job.status} />
            {job.currentStep !== STATUS_LABEL[job.status] && <span>{job.currentStep}</span>}
          </span>
          <div class="job-progress">{active ? <ProgressBar value={job.progress} label={`Progress of ${headline(job.title, 40)}`} /> : null}</div>
        </div>
        <div class="job-side">
          <span>
            {job.scenes} scene{job.scenes === 1 ? '' : 's'}
          </span>
          <time dateTime={job.createdAt} title={new Date(job.createdAt).toLocaleString()}>
            {ago(job.createdAt, now)}
          </time>
        </div>
      </a>
    </li>
  );
}

export function JobsList({ api, route, changes }: { api: Api; route: Extract<Route, { name: 'jobs' }>; changes?: LiveChanges | undefined }) {
  const [pages, setPages] = useState<JobList[]>();
  const [error, setError] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);
  const now = useNow(15_000);
  const pagesRef = useRef<JobList[] | undefined>(undefined);
  pagesRef.current = pages;
  const key = listPath(route);
  const poller = useRef<Poller | undefined>(undefined);
  // Any change to one of this professor's jobs: read the first page again now.
  const live = useLive(changes, () => poller.current?.now());

  useEffect(() => {
    setPages(undefined);
    setError(undefined);
  }, [key]);

  useEffect(() => {
    // The first page is followed live while anything on it runs; older pages stay as loaded.
    poller.current = startPolling(
      async (signal) => {
        const first = await api.request<JobList>(key, { signal });
        const before = pagesRef.current?.[0];
        setPages((old) => (old ? [first, ...old.slice(1)] : [first]));
        setError(undefined);
        if (!first.jobs.some((j) => isActive(j.status))) return 'final';
        return before && fingerprint(before) === fingerprint(first) ? 'same' : 'changed';
      },
      live ? LIVE_POLL : { ...JOB_POLL, minMs: 2000, maxMs: 10_000 },
      (err) => {
        if (err instanceof ApiError && err.status === 401) return;
        setError(err instanceof ApiError ? err.message : 'The list could not be loaded');
      },
    );
    return () => poller.current?.stop();
  }, [key, live]);

  const more = async () => {
    const cursor = pages?.at(-1)?.nextCursor;
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const next = await api.request<JobList>(listPath(route, cursor));
      setPages((old) => [...(old ?? []), next]);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'More jobs could not be loaded');
    } finally {
      setLoadingMore(false);
    }
  };

  const jobs = pages?.flatMap((p) => p.jobs) ?? [];
  const filterLabel = FILTERS.find((f) => f.status === route.status)?.label;
  return (
    <section aria-labelledby="jobs-heading">
      <div class="view-head">
        <h1 id="jobs-heading">Your explainers</h1>
        <a class="button-primary" href={href({ name: 'new' })}>
          New explainer
        </a>
      </div>
      {route.escalationId && (
        <Notice kind="info">
          Showing the jobs of escalation <code>{route.escalationId.slice(0, 8)}</code>. <a href={href({ name: 'jobs' })}>Show all</a>
        </Notice>
      )}
      <nav class="filters" aria-label="Filter by status">
        {FILTERS.map((f) => (
          <a key={f.label} class="filter" href={href({ name: 'jobs', ...(f.status ? { status: f.status } : {}), ...(route.escalationId ? { escalationId: route.escalationId } : {}) })} aria-current={f.status === route.status ? 'page' : undefined}>
            {f.label}
          </a>
        ))}
      </nav>
      {error && <Notice kind="error">{error}</Notice>}
      {!pages && !error && <Spinner label="Loading your explainers…" />}
      {pages && jobs.length === 0 && (
        <div class="empty">
          <p>{route.status ? `No ${filterLabel?.toLowerCase()} explainers.` : 'No explainers yet.'}</p>
          {!route.status && (
            <a class="button-primary" href={href({ name: 'new' })}>
              Make your first explainer
            </a>
          )}
        </div>
      )}
      {jobs.length > 0 && (
        <ul class="job-list" aria-label="Explainers">
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} now={now} />
          ))}
        </ul>
      )}
      {pages?.at(-1)?.nextCursor && (
        <button type="button" class="button-secondary button-wide" onClick={more} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show older explainers'}
        </button>
      )}
    </section>
  );
}
