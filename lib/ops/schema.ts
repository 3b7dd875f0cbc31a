/**
 * The contract of GET /api/video/metrics: its query (validated at the handler) and the JSON it
 * answers with. The handler's result is typed by these schemas, the tests parse real responses
 * with them, and lib/openapi.ts documents them, so the three cannot drift apart.
 */
import { z } from 'zod';
import { countParam, parseQuery } from '../http/query.js';
import { TICK_RUNS_WINDOW, TICK_STOP_REASONS } from '../tick/tick-runs.js';

export const DEFAULT_TICKS = 20;
export const MAX_TICKS = 200;

const count = z.number().int().min(0);
const isoDate = z.iso.datetime({ offset: true });

export const metricsQuerySchema = z.strictObject({
  ticks: countParam(MAX_TICKS, DEFAULT_TICKS, `How many of the latest ticks to list, 1–${MAX_TICKS} (default ${DEFAULT_TICKS}).`),
});

export type MetricsQuery = z.output<typeof metricsQuerySchema>;

/** Parses the query string (lib/http/query.ts). */
export function parseMetricsQuery(params: URLSearchParams): MetricsQuery {
  return parseQuery(metricsQuerySchema, params);
}

const activeCountsSchema = z.object({ pending: count, processing: count });

const latencySchema = z.object({
  operations: count.meta({ description: 'Veo operations that completed in the window.' }),
  p50Seconds: z.number().nullable().meta({ description: 'Median seconds from the operation created to the scene done (its video stored); null without operations.' }),
  p95Seconds: z.number().nullable(),
});

export const tickRunSchema = z.object({
  tickId: z.string(),
  startedAt: isoDate,
  finishedAt: isoDate,
  durationMs: count,
  created: count.meta({ description: 'Provider operations started.' }),
  polled: count.meta({ description: 'Operations looked at and found still running.' }),
  completed: count,
  failed: count,
  uploaded: count.meta({ description: 'Videos stored.' }),
  retried: count.meta({ description: 'Transient errors put back with backoff.' }),
  expired: count.meta({ description: 'Tasks failed for running past their deadline.' }),
  released: count.meta({ description: 'Claimed tasks given back untouched (out of time, or shutting down).' }),
  lost: count.meta({ description: 'Outcomes not written because the lease had passed to another tick.' }),
  generationEnabled: z.boolean(),
  stoppedBecause: z.enum(TICK_STOP_REASONS).meta({ description: 'idle: nothing more was due; budget: its time ran out; aborted: the function was shutting down.' }),
});

export const metricsSchema = z.object({
  generatedAt: isoDate,
  generationEnabled: z.boolean().meta({ description: 'VIDEO_GENERATION_ENABLED: when false no new Veo operation starts; running ones are still polled.' }),
  pausedProviders: z
    .array(z.object({ provider: z.string(), pausedUntil: isoDate, reason: z.string() }))
    .meta({ description: 'Providers whose new starts are paused (Luma refused a start for lack of credits), until when and why; their scenes wait, other providers go on.' }),
  queue: z.object({
    tasks: z.record(z.string(), activeCountsSchema).meta({ description: 'Tasks waiting (pending) and running (processing), by kind; every known kind is listed.' }),
    jobs: activeCountsSchema.meta({ description: 'Jobs waiting for their first step, and running.' }),
  }),
  inFlight: z.object({
    operations: count.meta({ description: 'Provider operations holding a slot: running, or claimed to start this moment.' }),
    maxInFlight: count.meta({ description: 'MAX_IN_FLIGHT, the slots there are.' }),
    byKind: z.record(z.string(), count),
  }),
  oldestWaitingSeconds: z.number().min(0).nullable().meta({
    description: 'How long the longest-waiting startable paid task (a Veo scene or a still: pending, due, not claimed) has been ready to start: since it was queued, retried, or its backoff ended. Null when none waits.',
  }),
  veoLatency: z.object({ lastHour: latencySchema, lastDay: latencySchema }),
  failures: z.object({
    windowHours: count,
    total: count,
    byReason: z.record(z.string(), count).meta({ description: "Tasks failed in the window by error code (timed_out, safety_filtered, provider_error, …); 'unknown' where none was recorded." }),
  }),
  ticks: z.array(tickRunSchema).meta({
    description: `The latest poller ticks, newest first (the service keeps the last ${TICK_RUNS_WINDOW.rows}, none older than ${TICK_RUNS_WINDOW.maxAgeHours} hours).`,
  }),
});

export type Metrics = z.infer<typeof metricsSchema>;
export type TickRunView = z.infer<typeof tickRunSchema>;
