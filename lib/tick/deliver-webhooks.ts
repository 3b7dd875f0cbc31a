/**
 * Delivers due webhooks from the tick, beside the task workers and never in their way: at most
 * WEBHOOK_BATCH_SIZE deliveries per tick, a few at a time, each bounded by WEBHOOK_TIMEOUT_MS and
 * started only while the tick's budget still has room for it. Deliveries are claimed with a lease
 * under `FOR UPDATE SKIP LOCKED`, so two overlapping ticks never post the same one twice at once;
 * every outcome write is fenced by that lease. The body is the job as GET /api/video/jobs/:id
 * shows it at delivery time (fresh signed URLs), signed by ./sign.ts and posted by ./post.ts.
 */
import { coerceError } from '../errors.js';
import { readJob } from '../jobs/view.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { webhookEventFor } from '../webhooks/enqueue.js';
import { postWebhook, type Resolve } from '../webhooks/post.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../webhooks/sign.js';
import { webhookUrlProblem } from '../webhooks/url.js';

export interface DeliverOptions {
  tickId: string;
  now: () => Date;
  /** Epoch milliseconds (wall clock) after which no delivery may still be in flight. */
  deadline: number;
  signal: AbortSignal;
  random?: () => number;
  /** Host name resolution (the system resolver unless given). */
  resolve?: Resolve;
}

export interface DeliverResult {
  delivered: number;
  retried: number;
  failed: number;
}

interface DeliveryRow {
  id: string;
  job_id: string;
  url: string;
  event: string;
  attempts: number;
}

/** Deliveries posted at once; small, so task work keeps the database pool. */
const PARALLEL = 4;
const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 3600;

/** Exponential backoff with jitter: 30 s, 60 s, 120 s … capped at an hour. */
export function webhookRetryAt(now: Date, attempts: number, random: () => number = Math.random): Date {
  const base = Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** attempts);
  return new Date(now.getTime() + base * (0.5 + random() / 2) * 1000);
}

async function claim(services: Services, o: DeliverOptions, limit: number): Promise<DeliveryRow[]> {
  // As long as a task's lease, and for the same reason: it must outlast the tick holding it, which
  // reads and signs the job (each signature up to REQUEST_TIMEOUT_MS) before posting it.
  const leaseSeconds = services.config.LEASE_SECONDS;
  const { rows } = await services.db.query<DeliveryRow>(
    `with due as (
       select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= $1
          and (locked_until is null or locked_until < $1)
        order by next_attempt_at
        limit $4
        for update skip locked)
     update webhook_deliveries d
        set locked_until = $1 + make_interval(secs => $3), locked_by = $2
       from due where d.id = due.id
     returning d.id, d.job_id, d.url, d.event, d.attempts`,
    [o.now(), o.tickId, leaseSeconds, limit],
  );
  return rows;
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string; permanent: boolean };

async function post(services: Services, d: DeliveryRow, o: DeliverOptions): Promise<Outcome | 'abandoned'> {
  const { config, db, store } = services;
  if (!config.WEBHOOK_SECRET) return { ok: false, status: null, error: 'WEBHOOK_SECRET is not set', permanent: false };
  // Rows written under another configuration (or before a rule was added) are held to today's rules.
  const problem = webhookUrlProblem(d.url, config.production);
  if (problem) return { ok: false, status: null, error: `webhook URL ${problem}`, permanent: true };
  const job = await readJob(db, store, d.job_id);
  if (!job) return { ok: false, status: null, error: 'the job no longer exists', permanent: true };
  // The body is the job as it is now. A job retried since this event is running again (and will
  // announce how it ends): posting "job.failed" with a running job in the body would contradict itself.
  if (webhookEventFor(job.status) !== d.event) {
    return { ok: false, status: null, error: `superseded: the job is ${job.status} now, no longer ${d.event.replace('job.', '')}`, permanent: true };
  }
  const body = JSON.stringify(job);
  // The timestamp is wall-clock time: it is what the receiver checks freshness against.
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const status = await postWebhook({
      url: d.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'escalation-video-webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(config.WEBHOOK_SECRET, timestamp, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [EVENT_HEADER]: d.event,
        [DELIVERY_HEADER]: d.id,
      },
      body,
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS)]),
      refusePrivate: config.production,
      ...(o.resolve ? { resolve: o.resolve } : {}),
    });
    if (status >= 200 && status < 300) return { ok: true, status };
    // 410 Gone: the receiver says it will never want this; anything else may pass later.
    return { ok: false, status, error: `receiver answered ${status}`, permanent: status === 410 };
  } catch (err) {
    if (o.signal.aborted) return 'abandoned';
    // A name resolving into our own network is retried too: DNS can be corrected, and each try is checked again.
    return { ok: false, status: null, error: coerceError(err).message, permanent: false };
  }
}

async function record(services: Services, d: DeliveryRow, outcome: Outcome | 'abandoned', o: DeliverOptions): Promise<keyof DeliverResult | undefined> {
  const { db, config } = services;
  if (outcome === 'abandoned') {
    await db.query(`update webhook_deliveries set locked_until = null, locked_by = null where id = $1 and locked_by = $2`, [d.id, o.tickId]);
    return undefined;
  }
  const now = o.now();
  const attempts = d.attempts + 1;
  const result: keyof DeliverResult = outcome.ok ? 'delivered' : outcome.permanent || attempts >= config.WEBHOOK_MAX_ATTEMPTS ? 'failed' : 'retried';
  const status = result === 'retried' ? 'pending' : result;
  const nextAttempt = result === 'retried' ? webhookRetryAt(now, d.attempts, o.random) : now;
  await db.query(
    `update webhook_deliveries
        set status = $3, attempts = $4, next_attempt_at = $5, last_status = $6, last_error = $7,
            delivered_at = $8, locked_until = null, locked_by = null
      where id = $1 and locked_by = $2`,
    [d.id, o.tickId, status, attempts, nextAttempt, outcome.status, outcome.ok ? null : outcome.error, outcome.ok ? now : null],
  );
  log(`webhook.${result}`, { deliveryId: d.id, jobId: d.job_id, webhookEvent: d.event, attempt: attempts, status: outcome.status, ...(outcome.ok ? {} : { error: outcome.error }) });
  return result;
}

/** Delivers what is due within the budget. Never throws: a webhook problem must not fail a tick. */
export async function deliverWebhooks(services: Services, o: DeliverOptions): Promise<DeliverResult> {
  const counts: DeliverResult = { delivered: 0, retried: 0, failed: 0 };
  let budget = services.config.WEBHOOK_BATCH_SIZE;
  try {
    while (budget > 0 && !o.signal.aborted && o.deadline - Date.now() > services.config.WEBHOOK_TIMEOUT_MS) {
      const batch = await claim(services, o, Math.min(PARALLEL, budget));
      if (batch.length === 0) break;
      budget -= batch.length;
      await Promise.all(
        batch.map(async (d) => {
          const result = await record(services, d, await post(services, d, o).catch((err) => ({ ok: false as const, status: null, error: coerceError(err).message, permanent: false })), o);
          if (result) counts[result]++;
        }),
      );
    }
  } catch (err) {
    log('webhook.error', { tickId: o.tickId, error: coerceError(err).message });
  }
  return counts;
}
