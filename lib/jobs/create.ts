/**
 * Records a generate request: the escalation, the job, its storyboard and one task per scene,
 * in one transaction. Nothing is sent to a provider here; the tick does that. The same
 * transaction claims the Idempotency-Key (./idempotency.ts) and checks the quotas (./quota.ts),
 * so a replay, a double click and a limit all see one consistent picture.
 */
import { addMinutes } from 'date-fns/addMinutes';
import type { Caller } from '../auth/jwt.js';
import { assertOwner, ownerFor } from '../auth/owner.js';
import type { Config } from '../config.js';
import { withTransaction, type Db, type DbClient } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { bindIdempotencyKey, claimIdempotencyKey, idempotencyClaim } from './idempotency.js';
import { KINDS } from '../kinds/registry.js';
import { insertTasks } from './task-writes.js';
import { planJob, UNIT_COUNT_SQL, type JobPlan, type PlannedTask } from './plan.js';
import { assertQuota } from './quota.js';
import { recordedRequest, type GenerateRequest } from './generate-request.js';
import { ACTIVE_STATUSES, STATUS, type Status } from '../states.js';

export interface CreatedJob {
  jobId: string;
  escalationId: string;
  status: Status;
  /** How many of what the job is counted in it makes (scenes, stills or variations), and that noun. */
  units: number;
  unit: string;
  /** True when the escalation already had an active job and that job is returned instead. */
  existing: boolean;
}

/** "scene", "still" or "variation": what a job of this kind is counted in. */
const unitNoun = (jobKind: string) => KINDS.job(jobKind).unit.noun[0];

/** Locks the escalation (serialising two generates for it); returns the professor it belongs to. */
async function lockEscalation(client: DbClient, id: string, caller: Caller): Promise<string | null> {
  const { rows } = await client.query<{ professor_id: string | null }>(
    `select professor_id from escalations where id = $1 for update`,
    [id],
  );
  if (rows.length === 0) {
    // Word for word what assertOwner says of another professor's escalation: no existence oracle.
    throw httpError(404, 'not_found', 'No escalation with this id', { escalationId: 'no escalation with this id' });
  }
  assertOwner(caller, rows[0]!.professor_id, 'escalation', 'escalationId');
  return rows[0]!.professor_id;
}

/**
 * A job on an escalation belongs to the escalation's professor, who must be able to follow it
 * (the service role starting it on their behalf included); it cannot be filed under another one.
 */
function ownerOnEscalation(escalationOwner: string | null, requested: string | null): string | null {
  if (escalationOwner === null) return requested;
  if (requested !== null && requested !== escalationOwner) {
    throw httpError(400, 'invalid_request', 'The escalation belongs to another professor', { professorId: "must be the escalation's professor, or omitted" });
  }
  return escalationOwner;
}

async function activeJobOf(client: DbClient, escalationId: string): Promise<CreatedJob | undefined> {
  const { rows } = await client.query<{ id: string; kind: string; status: Status; units: number }>(
    `select j.id, j.kind, j.status, ${UNIT_COUNT_SQL} as units
       from video_jobs j
      where j.escalation_id = $1 and j.status = any($2)
      order by j.created_at desc
      limit 1`,
    [escalationId, ACTIVE_STATUSES],
  );
  const row = rows[0];
  return row && { jobId: row.id, escalationId, status: row.status, units: row.units, unit: unitNoun(row.kind), existing: true };
}

export async function jobSummary(client: DbClient, jobId: string): Promise<CreatedJob | undefined> {
  const { rows } = await client.query<{ escalation_id: string; kind: string; status: Status; units: number }>(
    `select j.escalation_id, j.kind, j.status, ${UNIT_COUNT_SQL} as units
       from video_jobs j where j.id = $1`,
    [jobId],
  );
  const row = rows[0];
  return row && { jobId, escalationId: row.escalation_id, status: row.status, units: row.units, unit: unitNoun(row.kind), existing: true };
}

/** Each planned task with the unit it works on, as its kind reads it from the input (lib/kinds/). */
function taskRows(tasks: readonly PlannedTask[]) {
  return tasks.map((t) => ({ kind: t.kind, input: t.input, provider: t.provider ?? null, unit: KINDS.task(t.kind).unitOf(t.input) ?? null }));
}

/**
 * Records one planned job inside the caller's transaction: the escalation (locked, or created),
 * the quota check, the job and its tasks. An escalation that already has an active job gets that
 * job back instead. The single generate and each item of a batch go through here.
 */
export async function recordJob(
  client: DbClient,
  config: Config,
  request: GenerateRequest,
  plan: JobPlan,
  caller: Caller,
  now: Date,
): Promise<CreatedJob> {
  let ownerId = ownerFor(caller, request.professorId);
  let escalationId = request.escalationId;
  if (escalationId) {
    // The row lock serialises two generates for one escalation (a double click).
    const escalationOwner = await lockEscalation(client, escalationId, caller);
    // Before the running job is handed back: naming the wrong professor is wrong either way.
    ownerId = ownerOnEscalation(escalationOwner, ownerId);
    const active = await activeJobOf(client, escalationId);
    // The escalation keeps the answer that job is making: this request changes nothing.
    if (active) return active;
    await client.query(`update escalations set response = $2, question = coalesce($3, question) where id = $1`, [
      escalationId,
      request.response,
      request.question ?? null,
    ]);
  }
  await assertQuota(client, config, caller, ownerId, now);
  if (!escalationId) {
    const { rows } = await client.query<{ id: string }>(
      `insert into escalations (professor_id, question, response) values ($1, $2, $3) returning id`,
      [ownerId, request.question ?? null, request.response],
    );
    escalationId = rows[0]!.id;
  }
  const deadline = addMinutes(now, config.JOB_DEADLINE_MINUTES);
  // clock_timestamp, not the transaction's now(): the jobs of one batch keep the order they were
  // sent in, which the start queue (oldest job first) and the list follow.
  const { rows } = await client.query<{ id: string }>(
    `insert into video_jobs (escalation_id, owner_id, kind, request, storyboard, deadline_at, webhook_url, storyboard_source, storyboard_note, priority, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, clock_timestamp()) returning id`,
    [escalationId, ownerId, plan.kind, JSON.stringify(recordedRequest(request)), JSON.stringify(plan.storyboard), deadline, request.webhookUrl ?? null, plan.storyboardSource, plan.storyboardNote, request.priority],
  );
  const jobId = rows[0]!.id;
  await insertTasks(client, jobId, taskRows(plan.tasks));
  await client.query(
    `update escalations set video_generation_status = $2, video_job_id = $3, video_url = null, poster_url = null where id = $1`,
    [escalationId, STATUS.pending, jobId],
  );
  return { jobId, escalationId, status: STATUS.pending, units: plan.units, unit: unitNoun(plan.kind), existing: false };
}

export async function createJob(
  db: Db,
  config: Config,
  request: GenerateRequest,
  caller: Caller,
  options: { now?: Date; idempotencyKey?: string } = {},
): Promise<CreatedJob> {
  const now = options.now ?? new Date();
  // A professorId the caller may not name is refused before any planning work.
  ownerFor(caller, request.professorId);
  const plan = await planJob(request, config, { db, caller });
  const claim = options.idempotencyKey ? idempotencyClaim(caller, options.idempotencyKey, request) : undefined;
  return withTransaction(db, async (client) => {
    if (claim) {
      // First, so a replay neither touches the escalation nor counts against a quota.
      const { replayJobId } = await claimIdempotencyKey(client, claim, now, config.IDEMPOTENCY_TTL_HOURS);
      const replay = replayJobId && (await jobSummary(client, replayJobId));
      if (replay) return replay;
    }
    const job = await recordJob(client, config, request, plan, caller, now);
    if (claim) await bindIdempotencyKey(client, claim, job.jobId);
    return job;
  });
}
