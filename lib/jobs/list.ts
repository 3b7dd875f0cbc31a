/**
 * GET /api/video/jobs: the caller's jobs, newest first, keyset-paginated on (created_at, id).
 * The cursor is opaque to clients (base64url JSON of the last row's created_at in microseconds
 * and its id), so pages stay stable while new jobs arrive, and each page is one index range scan.
 */
import { z } from 'zod';
import type { Caller } from '../auth/jwt.js';
import type { Queryable } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { countParam, parseQuery } from '../http/query.js';
import type { JobList, JobSummary } from './schemas.js';
import type { ObjectStore } from '../storage/types.js';
import { KINDS } from '../kinds/registry.js';
import { currentStepOf, progressOf, unitKindOf, type TaskProgress } from './progress.js';
import { queueFieldsOf, readQueue, type QueueOptions } from './queue.js';
import { isFinal, STATUS, type Status } from '../states.js';

export const MAX_LIST_LIMIT = 100;
const DEFAULT_LIST_LIMIT = 20;
/** A list row's title is a headline, not the answer: the job itself holds the whole text. */
const TITLE_CHARS = 200;

const cursorSchema = z.strictObject({ c: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), i: z.uuid() });
type Cursor = z.infer<typeof cursorSchema>;

export const listQuerySchema = z.strictObject({
  status: z.enum(Object.values(STATUS) as [Status, ...Status[]]).optional(),
  escalationId: z.uuid('must be a UUID').optional(),
  /** Service role only: whose jobs to list (it sees everyone's by default). */
  professorId: z.uuid('must be a UUID').optional(),
  limit: countParam(MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT, `Page size, 1–${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT}).`),
  cursor: z.string().max(200, 'is not a valid cursor').optional().meta({ description: 'The nextCursor of the previous page.' }),
});

export type ListQuery = z.output<typeof listQuerySchema>;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  const bad = () => httpError(400, 'invalid_request', 'Invalid cursor: pass the nextCursor of a previous page unchanged', { cursor: 'is not a valid cursor' });
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw bad();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw bad();
  return parsed.data;
}

/** Parses the query string (lib/http/query.ts) and decodes the cursor. */
export function parseListQuery(params: URLSearchParams): ListQuery & { after?: Cursor } {
  const query = parseQuery(listQuerySchema, params);
  return { ...query, ...(query.cursor !== undefined ? { after: decodeCursor(query.cursor) } : {}) };
}

interface Row {
  id: string;
  escalation_id: string;
  owner_id: string | null;
  kind: string;
  status: Status;
  error: string | null;
  video_path: string | null;
  video_url: string | null;
  poster_path: string | null;
  poster_url: string | null;
  title: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  priority: 'high' | 'normal' | 'low';
  created_us: number;
  /** json_strip_nulls drops the times a task does not have. */
  tasks: Array<TaskProgress & { id: string; startedAt?: string; lockedUntil?: string }>;
}

async function freshUrl(store: ObjectStore, path: string | null, stored: string | null): Promise<string | null> {
  if (!path) return stored;
  return store.url(path).catch(() => stored);
}

export async function listJobs(db: Queryable, store: ObjectStore, caller: Caller, query: ListQuery & { after?: Cursor }, queue: QueueOptions): Promise<JobList> {
  if (caller.role !== 'service_role' && query.professorId && query.professorId.toLowerCase() !== caller.userId) {
    throw httpError(403, 'forbidden', 'Only the service role may list the jobs of another professor', { professorId: 'must be your own id or omitted' });
  }
  const owner = caller.role === 'service_role' ? (query.professorId?.toLowerCase() ?? null) : caller.userId;
  const { rows } = await db.query<Row>(
    `select j.id, j.escalation_id, j.owner_id, j.kind, j.status, j.error, j.video_path, j.video_url, j.poster_path, j.poster_url,
            -- A list names each job by the student's question, else the opening of the answer.
            left(coalesce(nullif(btrim(j.request->>'question'), ''), btrim(j.request->>'response'), ''), ${TITLE_CHARS}) as title,
            j.created_at, j.updated_at, j.completed_at, j.priority,
            ((extract(epoch from j.created_at) * 1000000)::bigint) as created_us,
            coalesce((select json_agg(json_strip_nulls(json_build_object('id', t.id, 'position', t.position, 'status', t.status,
                        'startedAt', t.started_at, 'lockedUntil', t.locked_until,
                        'started', t.operation_name is not null, 'polls', t.polls, 'kind', t.kind,
                        'unit', t.unit,
                        'fraction', (t.output->>'progress')::float8)) order by t.position)
                        from video_tasks t where t.job_id = j.id), '[]') as tasks
       from video_jobs j
      where ($1::uuid is null or j.owner_id = $1)
        and ($2::text is null or j.status = $2)
        and ($3::uuid is null or j.escalation_id = $3)
        and ($4::bigint is null or (j.created_at, j.id) < (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::uuid))
      order by j.created_at desc, j.id desc
      limit $6`,
    [owner, query.status ?? null, query.escalationId ?? null, query.after?.c ?? null, query.after?.i ?? null, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  // One read of the queue for the whole page, and none when every job on it is final.
  const activeIds = page.filter((r) => !isFinal(r.status)).map((r) => r.id);
  const read = activeIds.length > 0 ? await readQueue(db, activeIds, queue) : undefined;
  const standingOf = (r: Row) =>
    read
      ? queueFieldsOf(read, queue, !isFinal(r.status), r.tasks.map((t) => ({ id: t.id, kind: KINDS.kindOf(t), status: t.status, startedAt: t.startedAt ? new Date(t.startedAt) : null, lockedUntil: t.lockedUntil ? new Date(t.lockedUntil) : null })))
      : undefined;
  const jobs = await Promise.all(
    page.map(async (r): Promise<JobSummary> => {
      const standing = standingOf(r);
      return {
      id: r.id,
      escalationId: r.escalation_id,
      ownerId: r.owner_id,
      kind: r.kind,
      status: r.status,
      progress: progressOf(r.status, r.tasks),
      currentStep: standing?.waitingStep ?? currentStepOf(r.status, r.tasks, r.kind),
      priority: r.priority,
      queuePosition: standing?.queuePosition ?? null,
      estimatedStartAt: standing?.estimatedStartAt ?? null,
      estimatedCompletedAt: standing?.estimatedCompletedAt ?? null,
      title: r.title,
      videoUrl: await freshUrl(store, r.video_path, r.video_url),
      posterUrl: await freshUrl(store, r.poster_path, r.poster_url),
      error: r.error,
      scenes: r.tasks.filter((t) => t.kind === unitKindOf(r.kind)).length,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      completedAt: r.completed_at ? r.completed_at.toISOString() : null,
      };
    }),
  );
  const last = page.at(-1);
  return { jobs, nextCursor: rows.length > query.limit && last ? encodeCursor({ c: last.created_us, i: last.id }) : null };
}
