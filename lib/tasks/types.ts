/**
 * What a task kind module implements. The tick claims a task, hands it to its kind's `advance`,
 * and applies the outcome in one transaction; a new kind is one new module registered in
 * lib/tasks/registry.ts.
 */
import { z } from 'zod';
import type { Services } from '../services.js';
import type { TaskKindName, Status } from '../jobs/states.js';

export const taskRowSchema = z.object({
  id: z.string(),
  job_id: z.string(),
  position: z.number().int(),
  kind: z.string(),
  status: z.string(),
  input: z.record(z.string(), z.unknown()),
  provider: z.string().nullable(),
  operation_name: z.string().nullable(),
  attempts: z.number().int(),
  polls: z.number().int(),
  next_check_at: z.date(),
  locked_until: z.date().nullable(),
  locked_by: z.string().nullable(),
  output: z.record(z.string(), z.unknown()).nullable(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  deadline_at: z.date().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
});

export type TaskRow = Omit<z.infer<typeof taskRowSchema>, 'status' | 'kind'> & { status: Status; kind: TaskKindName };

export interface TaskContext {
  services: Services;
  signal: AbortSignal;
  now: Date;
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
  | { type: 'retry'; code: string; message: string };

export interface TaskKind {
  kind: TaskKindName;
  /** Starting it opens a paid provider operation: counts toward MAX_IN_FLIGHT, obeys the kill switch. */
  usesProvider: boolean;
  advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome>;
}
