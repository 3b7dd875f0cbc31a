/**
 * The job as the status endpoint shows it: status, progress, current step, storyboard and each
 * scene's state, with URLs signed fresh on every read.
 */
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import type { ObjectStore } from '../storage/types.js';
import { KINDS } from '../kinds/registry.js';
import { currentStepOf, progressOf, taskLabel, taskPercent, type TaskProgress } from './progress.js';
import { pausedProviderStep } from './provider-pause.js';
import { queueFieldsOf, readQueue, type QueueOptions } from './queue.js';
import { isActive, isFinal, STATUS, type Status } from '../states.js';

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
  poster_path: z.string().nullable(),
  poster_url: z.string().nullable(),
  storyboard_source: z.enum(['splitter', 'model']),
  storyboard_note: z.string().nullable(),
  priority: z.enum(['high', 'normal', 'low']),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
});

const sceneRowSchema = z.object({
  id: z.string(),
  position: z.number(),
  kind: z.string(),
  status: z.string(),
  operation_name: z.string().nullable(),
  provider: z.string().nullable(),
  attempts: z.number(),
  polls: z.number(),
  /** The scene, still or variation it works on, written when planned (lib/kinds/ unitOf). */
  unit: z.number().nullable(),
  input: z.record(z.string(), z.unknown()),
  output: z
    .object({
      objectPath: z.string().optional(),
      url: z.string().optional(),
      bytes: z.number().optional(),
      posterPath: z.string().optional(),
      posterUrl: z.string().optional(),
      progress: z.number().optional(),
      description: z.string().optional(),
      durationSeconds: z.number().optional(),
    })
    .loose()
    .nullable(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
  next_check_at: z.date(),
  locked_until: z.date().nullable(),
  updated_at: z.date(),
});

export interface SceneView {
  /** The scene, still or variation it works on (storyboard[].index for a scene); the task's position for a final cut. */
  index: number;
  /** veo_scene, imagen_still, render or variation; `label` names it ("Scene 2", "Final cut"). */
  kind: string;
  label: string;
  status: Status;
  /** 0–100 on the job's own scale: a running render or variation reports it from ffmpeg, a Veo scene creeps with its polls. */
  progress: number;
  /** What a variation changed ("mirror, warm colour"); null otherwise. */
  description: string | null;
  text: string | null;
  url: string | null;
  bytes: number | null;
  error: string | null;
  errorCode: string | null;
  attempts: number;
  /** Who makes (or made) the clip or still; null for local work. */
  provider: string | null;
  /** A scene's clip length; null for other tasks. */
  durationSeconds: number | null;
  /** E.g. a clip length changed by a retry on another provider. */
  note: string | null;
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
  /** The final cut's poster (video jobs) or the first still (image jobs). */
  posterUrl: string | null;
  error: string | null;
  request: Record<string, unknown>;
  storyboard: z.infer<typeof jobRowSchema>['storyboard'];
  /** Who wrote the storyboard, and why the model did not when it was asked to. */
  storyboardSource: 'splitter' | 'model';
  storyboardNote: string | null;
  priority: 'high' | 'normal' | 'low';
  /** The provider the job asked for. */
  provider: string | null;
  /** Scenes ahead of its first waiting one in the start queue (lib/jobs/eta.ts says how the estimates are made). */
  queuePosition: number | null;
  estimatedStartAt: string | null;
  estimatedCompletedAt: string | null;
  scenes: SceneView[];
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** When a tick last looked at one of its tasks (a poll moves a task's updated_at, never the job row's). */
  lastCheckedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function progressRowOf(t: z.infer<typeof sceneRowSchema>): TaskProgress {
  const unit = t.unit ?? undefined;
  const fraction = t.output?.progress;
  return {
    position: t.position,
    kind: t.kind,
    status: t.status as Status,
    started: t.operation_name !== null,
    polls: t.polls,
    ...(unit !== undefined ? { unit } : {}),
    ...(fraction !== undefined ? { fraction } : {}),
  };
}

async function freshUrl(store: ObjectStore, path: string | undefined | null, stored: string | undefined | null): Promise<string | null> {
  if (!path) return stored ?? null;
  try {
    return await store.url(path);
  } catch {
    // A signing hiccup must not hide the job; the stored URL may still be valid.
    return stored ?? null;
  }
}

/**
 * Why a job's waiting scenes cannot start even with room: their provider is paused (Luma's
 * account ran out of credits; ./provider-pause.ts). The pauses come with the queue read (./queue.ts),
 * so this costs no query of its own; a scene waiting out a backoff counts too, though it is not
 * in the start queue yet.
 */
function pausedStep(pausedUntil: Readonly<Record<string, number>> | undefined, tasks: ReadonlyArray<{ kind: string; status: string; provider: string | null; operation_name: string | null }>): string | undefined {
  if (!pausedUntil) return undefined;
  let longest: { provider: string; until: number } | undefined;
  for (const t of tasks) {
    if (!KINDS.find(t.kind)?.pausesWithProvider || t.status !== STATUS.pending || t.operation_name || !t.provider) continue;
    const until = pausedUntil[t.provider];
    if (until !== undefined && (!longest || until > longest.until)) longest = { provider: t.provider, until };
  }
  return longest && pausedProviderStep(longest.provider, new Date(longest.until));
}

/** The owner of a job, read before anything else so a stranger's request does no more work. */
export async function jobOwner(db: Queryable, jobId: string): Promise<{ ownerId: string | null } | undefined> {
  const { rows } = await db.query<{ owner_id: string | null }>(`select owner_id from video_jobs where id = $1`, [jobId]);
  return rows[0] && { ownerId: rows[0].owner_id };
}

export async function readJob(db: Queryable, store: ObjectStore, jobId: string, queue?: QueueOptions): Promise<JobView | undefined> {
  const { rows } = await db.query(`select * from video_jobs where id = $1`, [jobId]);
  if (rows.length === 0) return undefined;
  const job = jobRowSchema.parse(rows[0]);
  const { rows: taskRows } = await db.query(
    `select id, position, kind, status, operation_name, provider, attempts, polls, unit, input, output, error_code, error, started_at, completed_at, next_check_at, locked_until, updated_at
       from video_tasks where job_id = $1 order by position`,
    [jobId],
  );
  const tasks = taskRows.map((r) => sceneRowSchema.parse(r));
  const status = job.status as Status;
  const active = !isFinal(status);
  // Without queue options (a webhook's body, sent once the job is final) there is no standing.
  const read = active && queue ? await readQueue(db, [jobId], queue) : undefined;
  const standing = read && queue && queueFieldsOf(read, queue, active, tasks.map((t) => ({ id: t.id, kind: t.kind, status: t.status, startedAt: t.started_at, lockedUntil: t.locked_until })));
  const progressInput = tasks.map((t) => progressRowOf(t));
  const scenes = await Promise.all(
    tasks.map(async (t, i): Promise<SceneView> => {
      const p = progressInput[i]!;
      const active = isActive(t.status);
      return {
        index: p.unit ?? t.position,
        kind: t.kind,
        label: taskLabel(t.kind, p.unit ?? t.position, t.input),
        status: t.status as Status,
        progress: taskPercent(p),
        description: t.output?.description ?? null,
        text: (typeof t.input.text === 'string' ? t.input.text : job.storyboard[p.unit ?? t.position]?.text) ?? null,
        url: await freshUrl(store, t.output?.objectPath, t.output?.url),
        bytes: t.output?.bytes ?? null,
        error: t.error,
        errorCode: t.error_code,
        attempts: t.attempts,
        provider: t.provider,
        durationSeconds: KINDS.find(t.kind)?.durationSecondsOf?.(t.input) ?? null,
        note: typeof t.input.durationNote === 'string' ? t.input.durationNote : null,
        startedAt: iso(t.started_at),
        completedAt: iso(t.completed_at),
        nextCheckAt: active ? iso(t.next_check_at) : null,
      };
    }),
  );
  return {
    id: job.id,
    escalationId: job.escalation_id,
    ownerId: job.owner_id,
    kind: job.kind,
    status,
    progress: progressOf(status, progressInput),
    currentStep: pausedStep(read?.snapshot.pausedUntil, tasks) ?? standing?.waitingStep ?? currentStepOf(status, progressInput, job.kind),
    videoUrl: await freshUrl(store, job.video_path, job.video_url),
    posterUrl: await freshUrl(store, job.poster_path, job.poster_url),
    error: job.error,
    request: job.request,
    storyboard: job.storyboard,
    storyboardSource: job.storyboard_source,
    storyboardNote: job.storyboard_note,
    priority: job.priority,
    provider: typeof job.request.provider === 'string' ? job.request.provider : null,
    queuePosition: standing?.queuePosition ?? null,
    estimatedStartAt: standing?.estimatedStartAt ?? null,
    estimatedCompletedAt: standing?.estimatedCompletedAt ?? null,
    scenes,
    createdAt: job.created_at.toISOString(),
    updatedAt: job.updated_at.toISOString(),
    startedAt: iso(job.started_at),
    completedAt: iso(job.completed_at),
    lastCheckedAt: iso(tasks.reduce<Date | null>((latest, t) => (!latest || t.updated_at > latest ? t.updated_at : latest), null)),
  };
}
