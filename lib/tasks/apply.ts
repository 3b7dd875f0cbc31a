/**
 * Applies what a task kind reported to the database, in one transaction with the job's
 * bookkeeping. Every write is fenced by the lease: a tick that lost its lease (it ran past it,
 * or the job was canceled) changes nothing.
 */
import { addMinutes } from 'date-fns/addMinutes';
import type { Config } from '../config.js';
import { withTransaction, type Db, type DbClient } from '../db/pool.js';
import { lockJob, lockJobs, syncJob, syncJobs } from '../jobs/sync.js';
import { recordCompleted, recordCompletedMany, recordFailed, recordPoll, recordPollsMany, recordRestart, recordRetry, recordStarted, releaseLeases as releaseTaskLeases } from '../jobs/task-writes.js';
import { nextCheckAt } from './backoff.js';
import type { RecordedOutcome, TaskRow } from './types.js';

/** What happened, for the tick's counts. `lost` means the lease was gone and nothing was written. */
export type Applied = 'created' | 'polled' | 'completed' | 'failed' | 'retried' | 'lost';

interface ApplyOptions {
  tickId: string;
  now: Date;
  /** When the step began: a task done in one step (a still, a cut) starts then. Defaults to `now`. */
  began?: Date;
  config: Config;
  random?: () => number;
}

/**
 * What an outcome writes to its task, and what it counts as; `write` is false when the lease was
 * gone, and names what it counts as instead when the write itself decided (a restart that found
 * the task out of new generations failed it).
 */
interface Patch {
  applied: Exclude<Applied, 'lost'>;
  write: (client: DbClient) => Promise<boolean | Exclude<Applied, 'lost'>>;
}

/** What a write's answer counts as. */
function appliedOf(patch: Patch, written: boolean | Exclude<Applied, 'lost'>): Applied {
  if (written === false) return 'lost';
  return written === true ? patch.applied : written;
}

/** The poll and retry backoff the configuration sets (random: jitter, injectable for tests). */
function backoffOf({ config, random }: Pick<ApplyOptions, 'config' | 'random'>) {
  return { minSeconds: config.POLL_MIN_SECONDS, maxSeconds: config.POLL_MAX_SECONDS, ...(random ? { random } : {}) };
}

function patchFor(task: TaskRow, outcome: RecordedOutcome, options: ApplyOptions): Patch {
  const { now, config, began = now, tickId } = options;
  const backoff = backoffOf(options);
  switch (outcome.type) {
    case 'started':
      // Look again at once (an operation can finish in seconds), then back off.
      return {
        applied: 'created',
        write: (c) => recordStarted(c, task.id, tickId, { provider: outcome.provider, operationName: outcome.operationName, now, deadlineAt: addMinutes(now, config.TASK_DEADLINE_MINUTES) }),
      };
    case 'waiting':
      return { applied: 'polled', write: (c) => recordPoll(c, task.id, tickId, nextCheckAt(now, task.polls, backoff)) };
    case 'completed':
      return { applied: 'completed', write: (c) => recordCompleted(c, task.id, tickId, { output: outcome.output, now, began }) };
    case 'failed':
      return { applied: 'failed', write: (c) => recordFailed(c, task.id, tickId, { code: outcome.code, message: outcome.message, now, began }) };
    case 'retry': {
      const attempts = task.attempts + 1;
      if (attempts >= config.MAX_ATTEMPTS) {
        const message = `Gave up after ${attempts} attempts: ${outcome.message}`;
        return { applied: 'failed', write: (c) => recordFailed(c, task.id, tickId, { code: outcome.code, message, now, began, attempts }) };
      }
      const next = nextCheckAt(now, task.attempts, backoff);
      return { applied: 'retried', write: (c) => recordRetry(c, task.id, tickId, { attempts, code: outcome.code, message: outcome.message, nextCheckAt: next, began }) };
    }
    case 'restart': {
      // With remakes turned off (MAX_PROVIDER_RESTARTS=0) the failure stands as the provider gave it.
      if (config.MAX_PROVIDER_RESTARTS === 0) {
        return { applied: 'failed', write: (c) => recordFailed(c, task.id, tickId, { code: outcome.code, message: outcome.message, now, began }) };
      }
      // Counted as a retry: the task goes back to wait for a start, as after a transient error,
      // and after the same backoff, so a provider failing at once is not asked again in the same breath.
      const next = nextCheckAt(now, task.attempts, backoff);
      return {
        applied: 'retried',
        write: async (c) => {
          const written = await recordRestart(c, task.id, tickId, { maxRestarts: config.MAX_PROVIDER_RESTARTS, code: outcome.code, message: outcome.message, nextCheckAt: next, now, began });
          return written === undefined ? false : written === 'failed' ? 'failed' : 'retried';
        },
      };
    }
  }
}

/**
 * The two outcomes nearly every step ends in (a poll that found the operation running, a stored
 * video), each kind written for the whole batch in one statement under the same lease fence.
 * Returns, per outcome type it handled, the ids it wrote.
 */
async function writeCommonSetwise(client: DbClient, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Map<string, Set<string>>> {
  const written = new Map<string, Set<string>>();
  const { now, tickId } = options;
  const completed = items.flatMap((i) => (i.outcome.type === 'completed' ? [{ id: i.task.id, output: i.outcome.output, began: i.began }] : []));
  if (completed.length > 0) written.set('completed', await recordCompletedMany(client, tickId, now, completed));
  const backoff = backoffOf(options);
  const waiting = items.flatMap((i) => (i.outcome.type === 'waiting' ? [{ id: i.task.id, nextCheckAt: nextCheckAt(now, i.task.polls, backoff) }] : []));
  if (waiting.length > 0) written.set('waiting', await recordPollsMany(client, tickId, waiting));
  return written;
}

export async function applyOutcome(db: Db, task: TaskRow, outcome: RecordedOutcome, options: ApplyOptions): Promise<Applied> {
  const patch = patchFor(task, outcome, options);
  return withTransaction(db, async (client) => {
    // Job before task, always: the same order as cancel, so the two never deadlock.
    const job = await lockJob(client, task.job_id);
    const applied = appliedOf(patch, await patch.write(client));
    if (applied === 'lost') return applied;
    // Still running: no task's status or output moved, so nothing the job derives from its tasks
    // can have changed. Skipping the sync keeps the job row (and its Realtime subscribers) quiet.
    if (outcome.type === 'waiting') return applied;
    // The job row is unchanged since it was locked above: syncJob need not read it again.
    await syncJob(client, task.job_id, options.now, job);
    return applied;
  });
}

export interface OutcomeToApply {
  task: TaskRow;
  outcome: RecordedOutcome;
  /** When the task's step began. */
  began: Date;
}

/**
 * Several tasks' outcomes in one transaction: their jobs locked once each (in id order, as
 * releaseLeases and cancel do), every task written under its lease, each job synced once. One
 * commit instead of one per task is what bounds a tick's write rate, and the jobs are derived
 * set-wise (one read of their tasks, one write of them all). Not for a fresh operation
 * name (`started`): that commits alone and at once, since waiting widens the window in which a
 * crash makes the provider bill twice. Results are in the order given.
 */
export async function applyOutcomes(db: Db, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Applied[]> {
  if (items.some((i) => i.outcome.type === 'started')) throw new Error('applyOutcomes: a started outcome commits alone (applyOutcome)');
  return withTransaction(db, async (client) => {
    const jobs = await lockJobs(client, [...new Set(items.map((i) => i.task.job_id))]);
    const written = await writeCommonSetwise(client, items, options);
    const applied: Applied[] = [];
    const moved = new Set<string>();
    for (const { task, outcome, began } of items) {
      const patch = patchFor(task, outcome, { ...options, began });
      const result = appliedOf(patch, written.has(outcome.type) ? written.get(outcome.type)!.has(task.id) : await patch.write(client));
      applied.push(result);
      if (result === 'lost') continue;
      if (outcome.type !== 'waiting') moved.add(task.job_id);
    }
    const movedJobs = new Map([...moved].sort().flatMap((id) => (jobs.has(id) ? [[id, jobs.get(id)!] as const] : [])));
    await syncJobs(client, movedJobs, options.now);
    return applied;
  });
}

/** Gives back leases a run holds but will not work on (its time ran out), in one transaction. */
export async function releaseLeases(db: Db, tickId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await withTransaction(db, (client) => releaseTaskLeases(client, tickId, ids));
}
