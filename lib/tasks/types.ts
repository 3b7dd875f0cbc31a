/**
 * What a task kind module implements. The tick claims a task, hands it to its kind's `advance`,
 * and applies the outcome in one transaction; a new kind is its descriptor in lib/kinds/ (names,
 * unit, progress, retry rules) plus one module here adding `advance`, registered in
 * lib/tasks/registry.ts.
 */
import { z } from 'zod';
import type { TaskKindDescriptor } from '../kinds/types.js';
import type { Services } from '../services.js';
import type { Status, TaskKindName } from '../states.js';

/**
 * The columns of a claimed task that a step reads, and nothing else: the claim functions return
 * exactly these (TASK_COLUMNS), so a claim carries no finished output, error text or timestamps
 * that no kind looks at, and parses 11 fields per row instead of 21. A kind that needs another
 * column adds it here and to the claim functions' result in a new migration; a test checks that
 * the two agree.
 */
export const taskRowSchema = z.object({
  id: z.string(),
  job_id: z.string(),
  position: z.number().int(),
  // Plain strings: a row of a kind this deployment does not know must still reach the tick,
  // which fails it by name (unknown_kind) instead of the whole claim throwing.
  kind: z.string(),
  status: z.string(),
  input: z.record(z.string(), z.unknown()),
  provider: z.string().nullable(),
  operation_name: z.string().nullable(),
  attempts: z.number().int(),
  polls: z.number().int(),
  locked_by: z.string().nullable(),
});

/** What every claim function returns, in the schema's order. */
export const TASK_COLUMNS = Object.keys(taskRowSchema.shape);

export type TaskRow = Omit<z.infer<typeof taskRowSchema>, 'status' | 'kind'> & { status: Status; kind: TaskKindName };

export interface TaskContext {
  services: Services;
  signal: AbortSignal;
  now: Date;
  /**
   * Whether a paid operation requested now would be answered, and its name recorded, before the
   * tick's hard stop. Asked right before the request: reading a step's inputs can take a while.
   */
  mayStartPaid: () => boolean;
}

export type TaskOutcome =
  /** A provider operation now exists; its name must be recorded before anything else happens. */
  | { type: 'started'; provider: string; operationName: string }
  /** Still running; look again later. */
  | { type: 'waiting' }
  | { type: 'completed'; output: Record<string, unknown> }
  /** Final: retrying cannot help (a bad request, a safety block). */
  | { type: 'failed'; code: string; message: string }
  /** Transient (429, 5xx, network, failed upload): try again with backoff, up to MAX_ATTEMPTS. */
  | { type: 'retry'; code: string; message: string }
  /**
   * The provider's operation failed on its side (OperationFailure.restartable): forget it and
   * start a new one, up to MAX_PROVIDER_RESTARTS; then the task fails with this.
   */
  | { type: 'restart'; code: string; message: string }
  /**
   * Given back untouched, without using up an attempt: too late in the run to start paid work, or
   * the run was cut short. The lease is released and the next run takes the task again.
   */
  | { type: 'released'; reason: string };

/** An outcome that is written to the task row (a released one only gives back the lease). */
export type RecordedOutcome = Exclude<TaskOutcome, { type: 'released' }>;

/** A kind's descriptor (lib/kinds/: `usesProvider` among it) with how one of its tasks takes a step. */
export interface TaskKind extends TaskKindDescriptor<TaskKindName> {
  advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome>;
}
