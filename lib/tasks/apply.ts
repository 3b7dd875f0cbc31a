/**
 * Records what task kinds reported, each commit one call of apply_video_task_outcomes
 * (supabase/migrations/20261205001700_apply_task_outcomes.sql): one round trip and one transaction
 * that locks the tasks' jobs, writes every task under its lease and derives and writes the jobs
 * whose tasks moved. Every write is fenced by the lease: a tick that lost its lease (it ran past
 * it, or the job was canceled) changes nothing. What each row becomes is decided here, in
 * TypeScript (task-patch.ts); the function only sets what a patch names.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { withTransaction, type Db, type Queryable } from '../db/pool.js';
import { taskPatch, type Applied } from './task-patch.js';
import type { RecordedOutcome, TaskRow } from './types.js';

export type { Applied } from './task-patch.js';

interface ApplyOptions {
  tickId: string;
  now: Date;
  /** When the step began: a task done in one step (a still, a cut) starts then. Defaults to `now`. */
  began?: Date;
  config: Config;
  random?: () => number;
}

export interface OutcomeToApply {
  task: TaskRow;
  outcome: RecordedOutcome;
  /** When the task's step began. */
  began: Date;
}

const writtenRows = z.array(z.object({ task_id: z.string() }));

/**
 * Outcomes in one transaction, one round trip; results in the order given, `lost` for a task
 * whose lease was gone. Safe to repeat: a repeated call finds the leases cleared and writes nothing.
 */
async function applyBatch(db: Queryable, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Applied[]> {
  const patches = items.map(({ task, outcome, began }) => taskPatch(task, outcome, { ...options, began }));
  const payload = items.map(({ task }, i) => ({ id: task.id, job_id: task.job_id, set: patches[i]!.set, moves: patches[i]!.moves }));
  const { rows } = await db.query(`select task_id from apply_video_task_outcomes($1, $2, $3::jsonb)`, [options.tickId, options.now, JSON.stringify(payload)]);
  const written = new Set(writtenRows.parse(rows).map((r) => r.task_id));
  return items.map(({ task }, i) => (written.has(task.id) ? patches[i]!.applied : 'lost'));
}

/** One outcome, committed alone and at once (a fresh operation name always goes this way). */
export async function applyOutcome(db: Db, task: TaskRow, outcome: RecordedOutcome, options: ApplyOptions): Promise<Applied> {
  const [applied] = await applyBatch(db, [{ task, outcome, began: options.began ?? options.now }], options);
  return applied!;
}

/**
 * Several tasks' outcomes in one transaction: their jobs locked once each in id order (as
 * releaseLeases and cancel do), every task written under its lease, each moved job derived and
 * written once. Not for a fresh operation name (`started`): that commits alone and at once, since
 * waiting widens the window in which a crash makes the provider bill twice.
 */
export async function applyOutcomes(db: Db, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Applied[]> {
  if (items.some((i) => i.outcome.type === 'started')) throw new Error('applyOutcomes: a started outcome commits alone (applyOutcome)');
  if (items.length === 0) return [];
  return applyBatch(db, items, options);
}

/**
 * Gives back leases a tick holds but will not work on (its time ran out). Jobs before tasks, as
 * everywhere else (cancel, deadlines, applyOutcome): the tasks can span several jobs, locked in
 * id order, so a release never deadlocks with a cancel of one of them.
 */
export async function releaseLeases(db: Db, tickId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await withTransaction(db, async (client) => {
    await client.query(
      `select 1 from video_jobs where id in (select job_id from video_tasks where id = any($1)) order by id for update`,
      [ids],
    );
    await client.query(`update video_tasks set locked_until = null, locked_by = null where id = any($1) and locked_by = $2`, [ids, tickId]);
  });
}
