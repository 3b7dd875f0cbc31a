/**
 * A set of task and job kinds to look things up in. Production's is the constant KINDS
 * (./registry.ts); the functions that read kinds take a set as an optional last argument, so a
 * test can add a kind without touching any of them (lib/kinds/new-kind.test.ts).
 */
import type { JobKindDescriptor, TaskKindDescriptor } from './types.js';

export interface Kinds {
  /** Every task kind, the default first. */
  readonly tasks: readonly TaskKindDescriptor[];
  /** Every task kind in ascending stepRank: the order "what is the job doing now" asks them in. */
  readonly byStepRank: readonly TaskKindDescriptor[];
  /** Every job kind, the default first. */
  readonly jobs: readonly JobKindDescriptor[];
  /** The task kind of this name, if there is one. */
  find(kind: string): TaskKindDescriptor | undefined;
  /** The task kind of this name; rows without a kind (older callers) or of an unknown one read as the default. */
  task(kind: string | undefined): TaskKindDescriptor;
  /** The task kind a row counts as: its own, or the default's. */
  kindOf(task: { kind?: string }): string;
  /** The job kind of this name; an unknown one reads as the default. */
  job(kind: string): JobKindDescriptor;
}

/**
 * A set of kinds. The first task kind is what a row without a kind reads as, the first job kind
 * what a job of an unknown kind reads as. Every job kind's unit and deliverables must be among
 * the task kinds, and no name may appear twice.
 */
export function defineKinds(tasks: readonly TaskKindDescriptor[], jobs: readonly JobKindDescriptor[]): Kinds {
  const byName = new Map(tasks.map((d) => [d.kind, d]));
  const jobByName = new Map(jobs.map((d) => [d.kind, d]));
  if (byName.size !== tasks.length) throw new Error('Two task kinds share a name');
  if (jobByName.size !== jobs.length) throw new Error('Two job kinds share a name');
  for (const job of jobs) {
    for (const d of [job.unit, ...job.delivers]) {
      if (byName.get(d.kind) !== d) throw new Error(`Job kind ${job.kind} refers to task kind ${d.kind}, which is not in the set`);
    }
  }
  const [defaultTask] = tasks;
  const [defaultJob] = jobs;
  if (!defaultTask || !defaultJob) throw new Error('A set of kinds needs at least one task kind and one job kind');
  const task = (kind: string | undefined) => (kind === undefined ? undefined : byName.get(kind)) ?? defaultTask;
  return {
    tasks,
    byStepRank: [...tasks].sort((a, b) => a.stepRank - b.stepRank),
    jobs,
    find: (kind) => byName.get(kind),
    task,
    kindOf: (t) => t.kind ?? defaultTask.kind,
    job: (kind) => jobByName.get(kind) ?? defaultJob,
  };
}
