/**
 * POST /api/video/generate/batch: up to MAX_BATCH_ITEMS generate requests, all or nothing. Every
 * item is validated and planned before anything is written, and a refusal names the item
 * (`items[3].response`); then one transaction claims the Idempotency-Key for the whole batch and
 * records each item through the single generate's own path (./create.ts recordJob), quota
 * included, so a quota that refuses any item rolls every item back and the 429 names it.
 */
import { z } from 'zod';
import type { Caller } from '../auth/jwt.js';
import { ownerFor } from '../auth/owner.js';
import type { Config } from '../config.js';
import { withTransaction, type Db, type DbClient } from '../db/pool.js';
import { AppError } from '../errors.js';
import { httpError, zodFields } from '../http/respond.js';
import { jobSummary, recordJob, type CreatedJob } from './create.js';
import { claimIdempotencyKey, idempotencyClaim, type IdempotencyClaim } from './idempotency.js';
import { planJob, type JobPlan } from './plan.js';
import { generateRequestSchema, type GenerateRequest } from './generate-request.js';

export const MAX_BATCH_ITEMS = 50;
/** The batch's own body limit: fifty answers of up to 8,000 characters, escaped, fit in it. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

export const batchBodySchema = z.strictObject({
  items: z
    .array(z.unknown())
    .min(1, 'must hold at least one generate request')
    .max(MAX_BATCH_ITEMS, `must hold at most ${MAX_BATCH_ITEMS} generate requests`)
    .meta({ description: `1–${MAX_BATCH_ITEMS} generate requests, each what POST /api/video/generate takes (but storyboard 'model').` }),
});

export interface BatchResult {
  jobs: CreatedJob[];
  /** True when the Idempotency-Key was used before for this batch: its jobs, nothing new. */
  replay: boolean;
}

const itemName = (index: number) => `items[${index}]`;

/** The same error, naming the item: each field key, and the message, gain the item's prefix. */
export function forItem(index: number, thrown: unknown): unknown {
  if (!(thrown instanceof AppError) || thrown.status >= 500) return thrown;
  const name = itemName(index);
  const fields = thrown.fields ? Object.fromEntries(Object.entries(thrown.fields).map(([k, v]) => [`${name}.${k}`, v])) : { [name]: thrown.message };
  return new AppError(thrown.code, `${name}: ${thrown.message}`, {
    status: thrown.status,
    retryable: thrown.retryable,
    cause: thrown,
    fields,
    ...(thrown.headers ? { headers: thrown.headers } : {}),
  });
}

/** Validates every item, collecting each bad field of each bad item into one 400. */
export function parseBatch(body: unknown, config: Config): GenerateRequest[] {
  const outer = batchBodySchema.safeParse(body);
  if (!outer.success) {
    const fields = zodFields(outer.error);
    throw httpError(400, 'invalid_request', `Invalid batch: ${Object.keys(fields).join(', ')}`, fields);
  }
  const schema = generateRequestSchema(config);
  const fields: Record<string, string> = {};
  const requests = outer.data.items.map((item, i) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      for (const [k, v] of Object.entries(zodFields(parsed.error))) fields[`${itemName(i)}.${k === '(body)' ? '' : k}`.replace(/\.$/, '')] = v;
      return undefined;
    }
    if (parsed.data.storyboard === 'model') {
      // A model call per item cannot fit in one request's time; the splitter's storyboard can.
      fields[`${itemName(i)}.storyboard`] = "'model' is not allowed in a batch: send such a request to /api/video/generate";
    }
    return parsed.data;
  });
  if (Object.keys(fields).length > 0) throw httpError(400, 'invalid_request', `Invalid batch: ${Object.keys(fields).join(', ')}`, fields);
  return requests as GenerateRequest[];
}

/** Plans every item before the transaction; all refusals together, each named by its item. */
async function planAll(db: Db, config: Config, requests: GenerateRequest[], caller: Caller): Promise<JobPlan[]> {
  const plans: JobPlan[] = [];
  const refused: AppError[] = [];
  for (const [i, request] of requests.entries()) {
    try {
      ownerFor(caller, request.professorId);
      plans.push(await planJob(request, config, { db, caller }));
    } catch (err) {
      const named = forItem(i, err);
      if (!(named instanceof AppError) || named.status >= 500) throw named;
      refused.push(named);
    }
  }
  if (refused.length === 1) throw refused[0]!;
  if (refused.length > 1) {
    const fields = Object.assign({}, ...refused.map((e) => e.fields));
    throw httpError(400, 'invalid_request', refused.map((e) => e.message).join('; '), fields);
  }
  return plans;
}

async function replayed(client: DbClient, claim: IdempotencyClaim): Promise<CreatedJob[]> {
  const { rows } = await client.query<{ job_ids: string[] | null }>(`select job_ids from idempotency_keys where scope = $1 and key = $2`, [claim.scope, claim.key]);
  const jobs: CreatedJob[] = [];
  for (const id of rows[0]?.job_ids ?? []) {
    const job = await jobSummary(client, id);
    if (job) jobs.push(job);
  }
  return jobs;
}

export async function createBatch(
  db: Db,
  config: Config,
  requests: GenerateRequest[],
  caller: Caller,
  options: { now?: Date; idempotencyKey?: string } = {},
): Promise<BatchResult> {
  const now = options.now ?? new Date();
  const plans = await planAll(db, config, requests, caller);
  // The batch marker keeps a batch's key from matching a single generate's with the same body.
  const claim = options.idempotencyKey ? idempotencyClaim(caller, options.idempotencyKey, { batch: requests }) : undefined;
  return withTransaction(db, async (client) => {
    if (claim) {
      const { replayJobId } = await claimIdempotencyKey(client, claim, now, config.IDEMPOTENCY_TTL_HOURS);
      if (replayJobId) return { jobs: await replayed(client, claim), replay: true };
    }
    const jobs: CreatedJob[] = [];
    for (const [i, request] of requests.entries()) {
      try {
        jobs.push(await recordJob(client, config, request, plans[i]!, caller, now));
      } catch (err) {
        throw forItem(i, err);
      }
    }
    if (claim) {
      await client.query(`update idempotency_keys set job_id = $3, job_ids = $4 where scope = $1 and key = $2`, [claim.scope, claim.key, jobs[0]!.jobId, jobs.map((j) => j.jobId)]);
    }
    return { jobs, replay: false };
  });
}
