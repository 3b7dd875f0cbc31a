/**
 * The Prometheus rendering, read back by a strict parser of the 0.0.4 text format (every line a
 * comment, a blank, or a sample of the family its HELP and TYPE announced), so what a scraper
 * would reject fails here first.
 */
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleOf } from '../../tests/support/prometheus-text.js';
import { exposition, renderPrometheus } from './prometheus.js';
import { metricsSchema, type Metrics } from './schema.js';

const METRICS: Metrics = metricsSchema.parse({
  generatedAt: '2026-12-06T10:00:00.000Z',
  generationEnabled: true,
  pausedProviders: [{ provider: 'luma', pausedUntil: '2026-12-06T10:15:00.000Z', reason: 'no credits left' }],
  queue: {
    tasks: { veo_scene: { pending: 4, processing: 2 }, imagen_still: { pending: 0, processing: 0 }, render: { pending: 1, processing: 0 }, variation: { pending: 0, processing: 0 } },
    jobs: { pending: 1, processing: 3 },
  },
  inFlight: { operations: 2, maxInFlight: 20, byKind: { veo_scene: 2, imagen_still: 0 } },
  oldestWaitingSeconds: 42.5,
  veoLatency: { lastHour: { operations: 3, p50Seconds: 61.5, p95Seconds: 90.25 }, lastDay: { operations: 0, p50Seconds: null, p95Seconds: null } },
  failures: { windowHours: 24, total: 3, byReason: { timed_out: 2, safety_filtered: 1 } },
  ticks: [
    {
      tickId: 'tick-2',
      startedAt: '2026-12-06T09:59:00.000Z',
      finishedAt: '2026-12-06T09:59:01.250Z',
      durationMs: 1250,
      created: 2,
      polled: 5,
      completed: 1,
      failed: 0,
      uploaded: 1,
      retried: 0,
      expired: 0,
      released: 3,
      lost: 0,
      generationEnabled: true,
      stoppedBecause: 'budget',
    },
  ],
});

describe('renderPrometheus', () => {
  it('renders every figure as a gauge the parser reads back', () => {
    const text = renderPrometheus(METRICS);
    const p = parseExposition(text);
    for (const [name, f] of p.families) {
      expect(f.type, name).toBe('gauge');
      expect(f.help, name).not.toBe('');
    }
    expect(sampleOf(p, 'video_generation_enabled')).toBe(1);
    expect(sampleOf(p, 'video_provider_paused', { provider: 'luma' })).toBe(1);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'veo_scene', status: 'pending' })).toBe(4);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'veo_scene', status: 'processing' })).toBe(2);
    expect(sampleOf(p, 'video_tasks_active', { kind: 'render', status: 'pending' })).toBe(1);
    expect(sampleOf(p, 'video_jobs_active', { status: 'processing' })).toBe(3);
    expect(sampleOf(p, 'video_operations_in_flight', { kind: 'veo_scene' })).toBe(2);
    expect(sampleOf(p, 'video_operations_max_in_flight')).toBe(20);
    expect(sampleOf(p, 'video_oldest_waiting_task_age_seconds')).toBe(42.5);
    expect(sampleOf(p, 'video_veo_operation_seconds', { window: '1h', quantile: '0.5' })).toBe(61.5);
    expect(sampleOf(p, 'video_veo_operation_seconds', { window: '1h', quantile: '0.95' })).toBe(90.25);
    expect(sampleOf(p, 'video_veo_operation_seconds', { window: '24h', quantile: '0.5' })).toBeNaN();
    expect(sampleOf(p, 'video_veo_operations_completed', { window: '24h' })).toBe(0);
    expect(sampleOf(p, 'video_task_failures', { reason: 'timed_out', window: '24h' })).toBe(2);
    expect(sampleOf(p, 'video_tick_last_finished_timestamp_seconds')).toBe(Date.parse('2026-12-06T09:59:01.250Z') / 1000);
    expect(sampleOf(p, 'video_tick_last_duration_seconds')).toBe(1.25);
    expect(sampleOf(p, 'video_tick_last_tasks', { outcome: 'created' })).toBe(2);
    expect(sampleOf(p, 'video_tick_last_tasks', { outcome: 'released' })).toBe(3);
    expect(sampleOf(p, 'video_tick_last_stopped', { reason: 'budget' })).toBe(1);
    expect(sampleOf(p, 'video_tick_last_stopped', { reason: 'idle' })).toBe(0);
    expect(text).toContain('video_veo_operation_seconds{window="24h",quantile="0.5"} NaN\n');
  });

  it('leaves out the tick families before any tick, and shows no waiting scene as 0', () => {
    const p = parseExposition(renderPrometheus({ ...METRICS, ticks: [], oldestWaitingSeconds: null, generationEnabled: false }));
    expect([...p.families.keys()].filter((n) => n.startsWith('video_tick_'))).toEqual([]);
    expect(sampleOf(p, 'video_oldest_waiting_task_age_seconds')).toBe(0);
    expect(sampleOf(p, 'video_generation_enabled')).toBe(0);
  });

  it('leaves out the pause family when no provider is paused', () => {
    const p = parseExposition(renderPrometheus({ ...METRICS, pausedProviders: [] }));
    expect(p.families.has('video_provider_paused')).toBe(false);
  });

  it('escapes label values (quote, backslash, line feed) and help text, and they read back unchanged', () => {
    const reason = 'weird "code"\\with\nnewline';
    const text = renderPrometheus({ ...METRICS, failures: { windowHours: 24, total: 1, byReason: { [reason]: 1 } } });
    expect(text).toContain('video_task_failures{reason="weird \\"code\\"\\\\with\\nnewline",window="24h"} 1\n');
    expect(sampleOf(parseExposition(text), 'video_task_failures', { reason })).toBe(1);
    const help = exposition([{ name: 'x', help: 'a\\b\nc', type: 'gauge', samples: [{ value: 1 }] }]);
    expect(help).toBe('# HELP x a\\\\b\\nc\n# TYPE x gauge\nx 1\n');
    expect(parseExposition(help).families.get('x')!.help).toBe('a\\b\nc');
  });

  it('refuses names a scraper could not parse, and a family given twice', () => {
    const one = (name: string, labels?: Record<string, string>) => ({ name, help: 'h', type: 'gauge' as const, samples: [{ value: 1, ...(labels ? { labels } : {}) }] });
    expect(() => exposition([one('video-tasks')])).toThrow(/metric name/);
    expect(() => exposition([one('x', { 'bad-label': 'v' })])).toThrow(/label name/);
    expect(() => exposition([one('x', { __name__: 'v' })])).toThrow(/label name/);
    expect(() => exposition([one('x'), one('x')])).toThrow(/twice/);
    expect(exposition([{ name: 'x', help: 'h', type: 'gauge', samples: [] }])).toBe('');
    expect(exposition([{ name: 'x', help: 'h', type: 'gauge', samples: [{ value: Number.POSITIVE_INFINITY }, { labels: { a: 'b' }, value: -0.5 }] }])).toBe(
      '# HELP x h\n# TYPE x gauge\nx +Inf\nx{a="b"} -0.5\n',
    );
  });
});
