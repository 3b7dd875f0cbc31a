import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODE, ERRORS } from '../errors.js';
import { OUTCOMES, outcomeOfError } from './outcome.js';

describe('outcomeOfError', () => {
  it('keeps an AppError code and its retryability', () => {
    expect(outcomeOfError(new AppError('rate_limited', 'slow down', { status: 429, retryable: true }))).toEqual({ type: 'retry', code: 'rate_limited', message: 'slow down' });
    expect(outcomeOfError(new AppError('provider_rejected', 'bad prompt', { status: 400 }))).toEqual({ type: 'failed', code: 'provider_rejected', message: 'bad prompt' });
  });

  it('gives an error without a code the one default code; an HTTP status decides retry', () => {
    const e503 = Object.assign(new Error('busy'), { status: 503 });
    const e400 = Object.assign(new Error('nope'), { status: 400 });
    expect(outcomeOfError(e503)).toEqual({ type: 'retry', code: ERROR_CODE.stepFailed, message: 'busy' });
    expect(outcomeOfError(e400)).toEqual({ type: 'failed', code: ERROR_CODE.stepFailed, message: 'nope' });
    // No status at all: a network failure, worth another try.
    expect(outcomeOfError(new Error('socket hang up')).type).toBe('retry');
    expect(outcomeOfError('plain string').type).toBe('retry');
  });

  it('an error after the abort gives the task back rather than spending an attempt', () => {
    const ac = new AbortController();
    ac.abort();
    expect(outcomeOfError(new AppError('provider_rejected', 'x'), { signal: ac.signal })).toEqual(OUTCOMES.cutShort());
    expect(OUTCOMES.cutShort().type).toBe('released');
  });

  it('prefixes the message with what was being done', () => {
    expect(outcomeOfError(new AppError('storage_unavailable', 'HTTP 503', { retryable: true }), { prefix: 'Could not store the video: ' })).toMatchObject({
      type: 'retry',
      message: 'Could not store the video: HTTP 503',
    });
  });

  it('named factories build the codes they are named for', () => {
    expect(OUTCOMES.failed(ERRORS.UnknownKind('mystery'))).toEqual({ type: 'failed', code: 'unknown_kind', message: 'No module handles task kind mystery' });
    expect(OUTCOMES.tooLateToStart()).toMatchObject({ type: 'released' });
  });
});
