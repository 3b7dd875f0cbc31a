/**
 * The job as the status endpoint shows it: status, progress, current step, storyboard and each
 * scene's state, with URLs signed fresh on every read.
 */
import { z } from 'zod';
import type { Queryable } from '../db/pool.ts';
import type { ObjectStore } from '../storage/types.ts';
import { currentStepOf, progressOf } from './progress.ts';
import type { Status } from './states.ts';

const jobRowSchema = z.object({
  id: z.string(),
  escalation_id: z.string(),
  owner_id: z.string().nullable(),
  kind: z.string(),
  status: z.string(),
  request: z.record(z.string(), z.unknown()),
  storyboard: z.array(z.object({ index: z.number(), text: z.string(), prompt: z.string(), durationSeconds: z.number() })),
  error: z.string().nullable(),
  video_path: z.string().nullable(),
  video_url: z.string().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
});

const sceneRowSchema = z.object({
  position: z.number(),
  kind: z.string(),
  status: z.string(),
  operation_name: z.string().nullable(),
  attempts: z.number(),
  polls: z.number(),
  output: z.object({ objectPath: z.string().optional(), url: z.string().optional(), bytes: z.number().optional() }).nullable(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  next_check_at: z.date(),
});

export interface SceneView {
  index: number;
  status: Status;
  text: string | null;
  url: string | null;
  bytes: number | null;
  error: string | null;
  errorCode: string | null;
  attempts: number;
  startedAt: string | null;
  completedAt: string | null;
  nextCheckAt: string | null;
}

export interface JobView {
  id: string;
  escalationId: string;
  ownerId: string | null;
  kind: string;
  status: Status;
  progress: number;
  currentStep: string;
  videoUrl: string | null;
  error: string | null;
  request: Record<string, unknown>;
  storyboard: z.infer<typeof jobRowSchema>['storyboard'];
  scenes: SceneView[];
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function freshUrl(store: ObjectStore, path: string | undefined | null, stored: string | undefined | null): Promise<string | null> {
  if (!path) return stored ?? null;
  try {
    return await store.url(path);
  } catch {
    // A signing hiccup must not hide the job; the stored URL may still be valid.
    return stored ?? null;
  }
}

/** The owner of a job, read before anything else so a stranger's request does no more work. */
export async function jobOwner(db: Queryable, jobId: string): Promise<{ ownerId: string | null } | undefined> {
  const { rows } = await db.query<{ owner_id: string | null }>(`select owner_id from video_jobs where id = $1`, [jobId]);
  return rows[0] && { ownerId: rows[0].owner_id };
}

export async function readJob(db: Queryable, store: ObjectStore, jobId: string): Promise<JobView | undefined> {
  const { rows } = await db.query(`select * from video_jobs where id = $1`, [jobId]);
  if (rows.length === 0) return undefined;
  const job = jobRowSchema.parse(rows[0]);
  const { rows: taskRows } = await db.query(
    `select position, kind, status, operation_name, attempts, polls, output, error_code, error, started_at, completed_at, next_check_at
       from video_tasks where job_id = $1 order by position`,
    [jobId],
  );
  const tasks = taskRows.map((r) => sceneRowSchema.parse(r));
  const status = job.status as Status;
  const progressInput = tasks.map((t) => ({ position: t.position, status: t.status as Status, started: t.operation_name !== null, polls: t.polls }));
  const scenes = await Promise.all(
    tasks.map(async (t): Promise<SceneView> => ({
      index: t.position,
      status: t.status as Status,
      text: job.storyboard[t.position]?.text ?? null,
      url: await freshUrl(store, t.output?.objectPath, t.output?.url),
      bytes: t.output?.bytes ?? null,
      error: t.error,
      errorCode: t.error_code,
      attempts: t.attempts,
      startedAt: iso(t.started_at),
      completedAt: iso(t.completed_at),
      nextCheckAt: t.status === 'pending' || t.status === 'processing' ? iso(t.next_check_at) : null,
    })),
  );
  return {
    id: job.id,
    escalationId: job.escalation_id,
    ownerId: job.owner_id,
    kind: job.kind,
    status,
    progress: progressOf(status, progressInput),
    currentStep: currentStepOf(status, progressInput),
    videoUrl: await freshUrl(store, job.video_path, job.video_url),
    error: job.error,
    request: job.request,
    storyboard: job.storyboard,
    scenes,
    createdAt: job.created_at.toISOString(),
    updatedAt: job.updated_at.toISOString(),
    startedAt: iso(job.started_at),
    completedAt: iso(job.completed_at),
  };
}
