/**
 * The operator's view (`/ops`): is the service healthy, from GET /api/video/metrics. The queue,
 * the slots in use against MAX_IN_FLIGHT, the oldest waiting scene, latency, failures by reason
 * and the latest ticks, refreshed every 15 s. A professor who is not an operator is told so, and
 * how an operator is made, instead of an empty page.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Metrics, TickRunView } from '../../lib/ops/schema.js';
import { ApiError, type Api } from '../api.js';
import { Notice, ProgressBar, Spinner } from '../components/ui.js';
import { ago } from '../format.js';
import { startPolling, type Poller, type PollOptions } from '../live.js';
import { duration, foldIdleTicks, kindLabel, pausedProviderText, rankedReasons, reasonLabel, slotsUsed, stopLabel } from '../ops-format.js';
import { href } from '../router.js';
import { useNow } from '../use-now.js';

/** The tick runs once a minute; a quarter of that keeps the view current without weighing on the database. */
const OPS_POLL: PollOptions = { minMs: 15_000, maxMs: 15_000, errorMaxMs: 60_000 };

const TICK_COUNTS: Array<[keyof TickRunView, string]> = [
  ['created', 'started'],
  ['polled', 'polled'],
  ['completed', 'completed'],
  ['uploaded', 'stored'],
  ['failed', 'failed'],
  ['retried', 'retried'],
  ['expired', 'expired'],
  ['released', 'released'],
  ['lost', 'lost'],
];

function tickSummary(tick: TickRunView): string {
  const parts = TICK_COUNTS.filter(([key]) => (tick[key] as number) > 0).map(([key, word]) => `${tick[key] as number} ${word}`);
  return parts.length > 0 ? parts.join(' · ') : 'Nothing to do';
}

function Stat({ label, value, children }: { label: string; value: string; children?: ComponentChildren }) {
  return (
    <div class="stat">
      <dt class="stat-label">{label}</dt>
      <dd class="stat-value">{value}</dd>
      {children && <dd class="stat-detail">{children}</dd>}
    </div>
  );
}

function Overview({ metrics }: { metrics: Metrics }) {
  const { inFlight, queue, failures } = metrics;
  return (
    <dl class="stat-grid">
      <Stat label="Operations in flight" value={`${inFlight.operations} of ${inFlight.maxInFlight}`}>
        <ProgressBar value={slotsUsed(inFlight.operations, inFlight.maxInFlight) * 100} label="Share of MAX_IN_FLIGHT in use" />
      </Stat>
      <Stat label="Oldest waiting scene" value={metrics.oldestWaitingSeconds === null ? 'None waiting' : duration(metrics.oldestWaitingSeconds)} />
      <Stat label="Jobs running" value={String(queue.jobs.processing)}>
        {queue.jobs.pending} waiting to start
      </Stat>
      <Stat label={`Failures, last ${failures.windowHours} h`} value={String(failures.total)} />
    </dl>
  );
}

function QueueTable({ metrics }: { metrics: Metrics }) {
  const kinds = Object.entries(metrics.queue.tasks);
  return (
    <section class="panel" aria-labelledby="ops-queue">
      <h2 id="ops-queue">Queue</h2>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col" class="num">Waiting</th>
            <th scope="col" class="num">Running</th>
            <th scope="col" class="num">In flight</th>
          </tr>
        </thead>
        <tbody>
          {kinds.map(([kind, counts]) => (
            <tr key={kind}>
              <th scope="row">{kindLabel(kind)}</th>
              <td class="num">{counts.pending}</td>
              <td class="num">{counts.processing}</td>
              <td class="num">{metrics.inFlight.byKind[kind] ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function LatencyTable({ metrics }: { metrics: Metrics }) {
  const rows = [
    ['Last hour', metrics.veoLatency.lastHour],
    ['Last 24 hours', metrics.veoLatency.lastDay],
  ] as const;
  return (
    <section class="panel" aria-labelledby="ops-latency">
      <h2 id="ops-latency">Video latency</h2>
      <p class="hint">From a scene's video operation started to its video stored.</p>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Window</th>
            <th scope="col" class="num">Scenes</th>
            <th scope="col" class="num">p50</th>
            <th scope="col" class="num">p95</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, window]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td class="num">{window.operations}</td>
              <td class="num">{duration(window.p50Seconds)}</td>
              <td class="num">{duration(window.p95Seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Failures({ metrics }: { metrics: Metrics }) {
  const reasons = rankedReasons(metrics.failures.byReason);
  return (
    <section class="panel" aria-labelledby="ops-failures">
      <h2 id="ops-failures">Failures by reason, last {metrics.failures.windowHours} h</h2>
      {reasons.length === 0 ? (
        <p class="hint">No task failed in this window.</p>
      ) : (
        <ul class="reason-list">
          {reasons.map(({ code, count }) => (
            <li key={code}>
              <span>
                {reasonLabel(code)} <code>{code}</code>
              </span>
              <span class="num">{count}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Ticks({ ticks, now }: { ticks: TickRunView[]; now: number }) {
  return (
    <section class="panel" aria-labelledby="ops-ticks">
      <h2 id="ops-ticks">Latest ticks</h2>
      {ticks.length === 0 ? (
        <p class="hint">No tick has run yet. The poller runs every minute (Vercel Cron, or the local scheduler).</p>
      ) : (
        <table class="table ticks">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" class="num">Took</th>
              <th scope="col">What it did</th>
              <th scope="col">Stopped</th>
            </tr>
          </thead>
          <tbody>
            {foldIdleTicks(ticks).map((row) =>
              row.kind === 'idle' ? (
                <tr key={row.newest.tickId} class="ticks-idle">
                  <td>
                    <time dateTime={row.newest.startedAt} title={`${new Date(row.oldest.startedAt).toLocaleString()} – ${new Date(row.newest.startedAt).toLocaleString()}`}>
                      {ago(row.newest.startedAt, now)}
                    </time>
                  </td>
                  <td class="num">—</td>
                  <td>
                    {row.count} ticks found nothing to do
                    {ago(row.oldest.startedAt, now) !== ago(row.newest.startedAt, now) && ` (the oldest ${ago(row.oldest.startedAt, now)})`}
                  </td>
                  <td>{stopLabel('idle')}</td>
                </tr>
              ) : (
                <tr key={row.tick.tickId}>
                  <td>
                    <time dateTime={row.tick.startedAt} title={new Date(row.tick.startedAt).toLocaleString()}>
                      {ago(row.tick.startedAt, now)}
                    </time>
                  </td>
                  <td class="num">{duration(row.tick.durationMs / 1000)}</td>
                  <td>
                    {tickSummary(row.tick)}
                    {!row.tick.generationEnabled && <span class="tag">generation off</span>}
                  </td>
                  <td>{stopLabel(row.tick.stoppedBecause)}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function OpsView({ api }: { api: Api }) {
  const [metrics, setMetrics] = useState<Metrics>();
  const [error, setError] = useState<string>();
  const [forbidden, setForbidden] = useState(false);
  const now = useNow(15_000);
  const poller = useRef<Poller | undefined>(undefined);

  useEffect(() => {
    poller.current = startPolling(
      async (signal) => {
        try {
          setMetrics(await api.request<Metrics>('/api/video/metrics', { signal }));
          setError(undefined);
          return 'changed';
        } catch (err) {
          if (err instanceof ApiError && err.status === 403) {
            setForbidden(true);
            return 'final';
          }
          throw err;
        }
      },
      OPS_POLL,
      (err) => {
        if (err instanceof ApiError && err.status === 401) return;
        setError(err instanceof ApiError ? err.message : 'The metrics could not be loaded');
      },
    );
    return () => poller.current?.stop();
  }, [api]);

  if (forbidden) {
    return (
      <section aria-labelledby="ops-heading">
        <h1 id="ops-heading">Operations</h1>
        <Notice kind="info">
          This view is for operators. An operator's account has <code>role: "admin"</code> in its app_metadata, or its user id in the service's{' '}
          <code>OPS_ADMIN_USER_IDS</code>. <a href={href({ name: 'jobs' })}>Back to your explainers</a>
        </Notice>
      </section>
    );
  }

  return (
    <section aria-labelledby="ops-heading">
      <div class="view-head">
        <h1 id="ops-heading">Operations</h1>
        <div class="view-tools">
          {metrics && (
            <span class="hint">
              Updated <time dateTime={metrics.generatedAt}>{ago(metrics.generatedAt, now)}</time>
            </span>
          )}
          <button type="button" class="button-secondary" onClick={() => poller.current?.now()}>
            Refresh
          </button>
        </div>
      </div>
      {error && <Notice kind="error">{error}. Trying again shortly.</Notice>}
      {!metrics ? (
        !error && <Spinner label="Loading the metrics…" />
      ) : (
        <>
          {!metrics.generationEnabled && (
            <Notice kind="warning">
              Generation is switched off (<code>VIDEO_GENERATION_ENABLED=false</code>): no new video operation starts, and those already running are still followed to the end.
            </Notice>
          )}
          {metrics.pausedProviders.map((p) => (
            <Notice key={p.provider} kind="warning">
              {pausedProviderText(p, new Date())}
            </Notice>
          ))}
          <Overview metrics={metrics} />
          <div class="ops-columns">
            <QueueTable metrics={metrics} />
            <LatencyTable metrics={metrics} />
          </div>
          <Failures metrics={metrics} />
          <Ticks ticks={metrics.ticks} now={now} />
        </>
      )}
    </section>
  );
}
