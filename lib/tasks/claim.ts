/**
 * Claims due tasks for one tick with a lease. `FOR UPDATE SKIP LOCKED` keeps two overlapping
 * ticks off the same row; `locked_until` lets the next tick resume a task whose tick was killed.
 * Only the partial index of active rows is read, so the claim stays flat as finished rows pile up.
 *
 * The claims themselves are PL/pgSQL functions (supabase/migrations/20261123000700_claim_functions.sql):
 * the server keeps their plans per connection, which statements sent as text through Supabase's
 * transaction pooler cannot have.
 */
import type { Queryable } from '../db/pool.js';
import { TASK_COLUMNS, taskRowSchema, type TaskRow } from './types.js';
import { ACTIVE_IN_SQL, sqlState, STATUS } from '../states.js';

export interface ClaimOptions {
  tickId: string;
  now: Date;
  leaseSeconds: number;
  limit: number;
}

function parseRows(rows: unknown[]): TaskRow[] {
  return rows.map((r) => taskRowSchema.parse(r) as TaskRow);
}

/**
 * Tasks whose provider operation already exists (or that need no provider) and are due a look.
 * Pending tasks of `startKinds` would open a paid operation; claimStartable takes those.
 */
export async function claimDue(db: Queryable, startKinds: readonly string[], o: ClaimOptions): Promise<TaskRow[]> {
  const { rows } = await db.query(`select * from claim_due_video_tasks($1, $2, $3, $4, $5)`, [o.now, o.tickId, o.leaseSeconds, o.limit, startKinds]);
  return parseRows(rows);
}

/**
 * Pending tasks that would open a paid provider operation, only as many as there is room for
 * under `maxInFlight`. The function counts the room and claims it under one advisory lock, so two
 * overlapping ticks cannot both fill the same room; the call is its own transaction. The room is
 * shared round-robin across professors, then by priority and age within each
 * (supabase/migrations/20261205001300_fair_share_claim.sql), and each provider held to its own cap
 * and skipped while paused (20261205002000_provider_caps_and_pauses.sql): anything that starts scenes, the tick
 * or a generate starting its job at once, claims through here so no job jumps the fair order.
 */
export async function claimStartable(
  db: Queryable,
  providerKinds: readonly string[],
  maxInFlight: number,
  o: ClaimOptions,
  /** Per-provider caps within maxInFlight (MAX_IN_FLIGHT_VEO, …); a paused provider gets none in the function itself. */
  providerCaps: Partial<Record<string, number>> = {},
): Promise<TaskRow[]> {
  if (providerKinds.length === 0 || o.limit <= 0) return [];
  const { rows } = await db.query(`select * from claim_startable_video_tasks($1, $2, $3, $4, $5, $6, $7)`, [
    o.now,
    o.tickId,
    o.leaseSeconds,
    o.limit,
    providerKinds,
    maxInFlight,
    JSON.stringify(providerCaps),
  ]);
  return parseRows(rows);
}

/**
 * Leases one task whose operation a provider said has changed (its callback), if nobody holds it
 * and it is still running on that provider. Only the lease is written, so a callback that arrives
 * while a tick works on the task, or for a task already finished, changes nothing.
 */
export async function claimForCallback(db: Queryable, taskId: string, provider: string, o: Omit<ClaimOptions, 'limit'>): Promise<TaskRow[]> {
  const { rows } = await db.query(
    `update video_tasks
        set locked_until = $3 + make_interval(secs => $4), locked_by = $5
      where id = $1 and provider = $2 and status = ${sqlState(STATUS.processing)} and operation_name is not null
        and (locked_until is null or locked_until < $3)
      returning ${TASK_COLUMNS.join(', ')}`,
    [taskId, provider, o.now, o.leaseSeconds, o.tickId],
  );
  return parseRows(rows);
}

/**
 * When the next unleased task comes due, for a tick deciding whether to linger. Pending provider
 * tasks count only when they could be started (generation enabled, room under the cap).
 */
export async function nextDueAt(db: Queryable, now: Date, providerKinds: readonly string[], includeStartable: boolean): Promise<Date | undefined> {
  const { rows } = await db.query<{ at: Date | null }>(
    `select min(next_check_at) as at from video_tasks
      where status in ${ACTIVE_IN_SQL}
        and (locked_until is null or locked_until < $1)
        and ($3 or status = ${sqlState(STATUS.processing)} or not (kind = any($2)))`,
    [now, providerKinds, includeStartable],
  );
  return rows[0]?.at ?? undefined;
}
