/**
 * The one way a thrown error becomes a step's outcome. A step returns outcomes for what it
 * expects; anything it throws lands here, in the tick and in a kind's own catch alike.
 */
import { AppError, ERROR_CODE, coerceError, isRetryable } from '../errors.js';
import type { TaskOutcome } from './types.js';

export const TOO_LATE_TO_START = 'Too little of the run is left to start a paid operation';

export const OUTCOMES = {
  /** Too late to open a paid operation: its answer might arrive after the run is gone. */
  tooLateToStart: (): TaskOutcome => ({ type: 'released', reason: TOO_LATE_TO_START }),
  /** The run was cut short (a shutdown, the hard stop): not the task's fault. */
  cutShort: (): TaskOutcome => ({ type: 'released', reason: 'The run was cut short' }),
  failed: (err: AppError): TaskOutcome => ({ type: 'failed', code: err.code, message: err.message }),
};

export interface ErrorOutcomeOptions {
  /** The run's signal: an error after it aborted is the abort's doing, and gives the task back. */
  signal?: AbortSignal;
  /** Put before the message to say what was being done ("Could not store the video: "). */
  prefix?: string;
}

/**
 * Retryable errors (429, 5xx, network, timeouts: see isRetryable) become `retry`, others
 * `failed`; the code is the AppError's own, or ERROR_CODE.stepFailed for an error without one.
 */
export function outcomeOfError(thrown: unknown, o: ErrorOutcomeOptions = {}): TaskOutcome {
  if (o.signal?.aborted) return OUTCOMES.cutShort();
  const err = coerceError(thrown);
  const code = err instanceof AppError ? err.code : ERROR_CODE.stepFailed;
  const message = `${o.prefix ?? ''}${err.message}`;
  return isRetryable(thrown) ? { type: 'retry', code, message } : { type: 'failed', code, message };
}
