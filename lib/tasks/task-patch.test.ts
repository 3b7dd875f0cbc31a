import { describe, expect, it } from 'vitest';
import { taskPatch } from './task-patch.js';

const config = { POLL_MIN_SECONDS: 5, POLL_MAX_SECONDS: 40, MAX_ATTEMPTS: 3, TASK_DEADLINE_MINUTES: 30 };
const now = new Date('2026-12-05T12:00:00.000Z');
const began = new Date('2026-12-05T11:59:00.000Z');
const task = { polls: 2, attempts: 0 };
const options = { now, began, config, random: () => 0.5 };

describe('taskPatch', () => {
  it('a fresh operation: processing, counts reset, looked at again at once, its deadline set', () => {
    expect(taskPatch(task, { type: 'started', provider: 'veo', operationName: 'op-1' }, options)).toEqual({
      applied: 'created',
      moves: true,
      set: {
        status: 'processing',
        provider: 'veo',
        operation_name: 'op-1',
        attempts: 0,
        polls: 0,
        next_check_at: now.toISOString(),
        started_at: now.toISOString(),
        deadline_at: '2026-12-05T12:30:00.000Z',
      },
    });
  });

  it('a poll that found it running adds a poll, backs off from the poll count, and moves nothing the job shows', () => {
    // polls 2: 5 s × 2² = 20 s, no jitter at random 0.5.
    expect(taskPatch(task, { type: 'waiting' }, options)).toEqual({ applied: 'polled', moves: false, set: { poll: true, attempts: 0, next_check_at: '2026-12-05T12:00:20.000Z' } });
  });

  it('a stored video completes the task, clears an earlier error and records when its step began', () => {
    const patch = taskPatch(task, { type: 'completed', output: { objectPath: 'j/1.mp4' } }, options);
    expect(patch).toMatchObject({ applied: 'completed', moves: true });
    expect(patch.set).toEqual({ status: 'completed', output: { objectPath: 'j/1.mp4' }, error: null, error_code: null, completed_at: now.toISOString(), started_at: began.toISOString() });
  });

  it('a transient error retries with backoff until MAX_ATTEMPTS, then fails saying how often it tried', () => {
    const retry = { type: 'retry', code: 'rate_limited', message: 'HTTP 429' } as const;
    expect(taskPatch({ polls: 0, attempts: 1 }, retry, options)).toMatchObject({ applied: 'retried', set: { attempts: 2, error: 'HTTP 429', next_check_at: '2026-12-05T12:00:10.000Z' } });
    const gaveUp = taskPatch({ polls: 0, attempts: 2 }, retry, options);
    expect(gaveUp).toMatchObject({ applied: 'failed', moves: true, set: { status: 'failed', attempts: 3, error_code: 'rate_limited', error: 'Gave up after 3 attempts: HTTP 429' } });
    expect(gaveUp.set.next_check_at).toBeUndefined();
  });

  it('a final failure keeps its code and message', () => {
    expect(taskPatch(task, { type: 'failed', code: 'safety_filtered', message: 'blocked' }, options).set).toMatchObject({ status: 'failed', error_code: 'safety_filtered', error: 'blocked' });
  });
});
