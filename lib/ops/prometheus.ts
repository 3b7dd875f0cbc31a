/**
 * The operator metrics in Prometheus' text exposition format 0.0.4, for a scraper (or any agent
 * that reads it: Grafana Alloy, the OpenTelemetry collector, Datadog's OpenMetrics check). A pure
 * function of the JSON form, so both answers always say the same thing.
 *
 * Everything is a gauge: the figures are the state now, or over a sliding window (the last hour,
 * the last day), which counters and summaries in Prometheus' sense (ever-growing totals that
 * rate() differentiates) are not.
 */
import { STATUS } from '../states.js';
import { TICK_RUN_COUNTS, TICK_STOP_REASONS } from '../tick/tick-runs.js';
import type { Metrics } from './schema.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Family {
  /** [a-zA-Z_:][a-zA-Z0-9_:]*, checked: a bad name would make the whole scrape fail to parse. */
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'untyped';
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// The format's own escapes: HELP text escapes backslash and newline; label values also the quote.
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Go's ParseFloat spellings of the special values, which Prometheus reads. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`Not a Prometheus label name: ${name}`);
  }
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

/** Renders families in the order given; a family without samples is left out. */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`Not a Prometheus metric name: ${f.name}`);
    // The format requires all of a family's lines together, under one HELP and TYPE.
    if (seen.has(f.name)) throw new Error(`Metric family ${f.name} given twice`);
    seen.add(f.name);
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  // The last line must end with a line feed too.
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

const gauge = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: 'gauge', samples });
const nullable = (value: number | null) => value ?? Number.NaN;

export function renderPrometheus(m: Metrics): string {
  const windows = [
    ['1h', m.veoLatency.lastHour],
    ['24h', m.veoLatency.lastDay],
  ] as const;
  const last = m.ticks[0];
  return exposition([
    gauge('video_generation_enabled', 'Whether new Veo operations may start (VIDEO_GENERATION_ENABLED): 1 on, 0 switched off.', [
      { value: m.generationEnabled ? 1 : 0 },
    ]),
    gauge(
      'video_provider_paused',
      'Providers whose new starts are paused (no credits left): 1 while paused; absent otherwise.',
      m.pausedProviders.map((p) => ({ labels: { provider: p.provider }, value: 1 })),
    ),
    gauge(
      'video_tasks_active',
      'Tasks waiting (pending) or running (processing), by kind.',
      Object.entries(m.queue.tasks).flatMap(([kind, c]) => [
        { labels: { kind, status: STATUS.pending }, value: c.pending },
        { labels: { kind, status: STATUS.processing }, value: c.processing },
      ]),
    ),
    gauge('video_jobs_active', 'Jobs waiting (pending) or running (processing).', [
      { labels: { status: STATUS.pending }, value: m.queue.jobs.pending },
      { labels: { status: STATUS.processing }, value: m.queue.jobs.processing },
    ]),
    gauge(
      'video_operations_in_flight',
      'Provider operations holding a MAX_IN_FLIGHT slot (running, or claimed to start), by kind.',
      Object.entries(m.inFlight.byKind).map(([kind, value]) => ({ labels: { kind }, value })),
    ),
    gauge('video_operations_max_in_flight', 'MAX_IN_FLIGHT: provider operations allowed at once.', [{ value: m.inFlight.maxInFlight }]),
    gauge('video_oldest_waiting_task_age_seconds', 'Seconds the longest-waiting startable scene has been ready to start; 0 when none waits.', [
      { value: m.oldestWaitingSeconds ?? 0 },
    ]),
    gauge(
      'video_veo_operation_seconds',
      'Veo operation time, created to scene done, over operations completed in the window; NaN without any.',
      windows.flatMap(([window, l]) => [
        { labels: { window, quantile: '0.5' }, value: nullable(l.p50Seconds) },
        { labels: { window, quantile: '0.95' }, value: nullable(l.p95Seconds) },
      ]),
    ),
    gauge(
      'video_veo_operations_completed',
      'Veo operations completed in the window.',
      windows.map(([window, l]) => ({ labels: { window }, value: l.operations })),
    ),
    gauge(
      'video_task_failures',
      `Tasks failed in the last ${m.failures.windowHours} h, by error code.`,
      Object.entries(m.failures.byReason).map(([reason, value]) => ({ labels: { reason, window: `${m.failures.windowHours}h` }, value })),
    ),
    ...(last
      ? [
          gauge('video_tick_last_finished_timestamp_seconds', 'When the latest poller tick ended, in Unix seconds.', [{ value: Date.parse(last.finishedAt) / 1000 }]),
          gauge('video_tick_last_duration_seconds', 'How long the latest poller tick ran.', [{ value: last.durationMs / 1000 }]),
          gauge(
            'video_tick_last_tasks',
            'What the latest poller tick did: tasks by outcome (created = operations started).',
            TICK_RUN_COUNTS.map((outcome) => ({ labels: { outcome }, value: last[outcome] })),
          ),
          gauge(
            'video_tick_last_stopped',
            'Why the latest poller tick stopped: 1 for its reason (idle, budget, aborted), 0 for the others.',
            TICK_STOP_REASONS.map((reason) => ({ labels: { reason }, value: last.stoppedBecause === reason ? 1 : 0 })),
          ),
        ]
      : []),
  ]);
}
