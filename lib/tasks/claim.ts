/**
 * Claims due tasks for one tick with a lease. `FOR UPDATE SKIP LOCKED` keeps two overlapping
 * ticks off the same row; `locked_until` lets the next tick resume a task whose tick was killed.
 * Only the partial index of active rows is read, so the claim stays flat as finished rows pile up.
 */
import type { Db, Queryable } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { TASK_COLUMNS, taskRowSchema, type TaskRow } from './types.js';

export interface ClaimOptions {
  tickId: string;
  now: Date;
  leaseSeconds: number;
  limit: number;
}

// Only the columns a step reads (see taskRowSchema): each claimed row is sent, decoded and
// validated, so the finished output, error text and six timestamps stay in the table.
const RETURNING = `returning ${TASK_COLUMNS.map((c) => `t.${c}`).join(', ')}`;

function parseRows(rows: unknown[]): TaskRow[] {
  return rows.map((r) => taskRowSchema.parse(r) as TaskRow);
}

/** Tasks whose provider operation already exists (or that need no provider) and are due a look. */
export async function claimDue(db: Queryable, kinds: readonly string[], o: ClaimOptions): Promise<TaskRow[]> {
  const { rows } = await db.query(
    `with due as (
       select id from video_tasks
        where status in ('pending', 'processing')
          and next_check_at <= $1
          and (locked_until is null or locked_until < $1)
          and (status = 'processing' or not (kind = any($5)))
        order by next_check_at
        limit $4
        for update skip locked)
     update video_tasks t
        set locked_until = $1 + make_interval(secs => $3), locked_by = $2
       from due where t.id = due.id
     ${RETURNING}`,
    [o.now, o.tickId, o.leaseSeconds, o.limit, kinds],
  );
  return parseRows(rows);
}

/**
 * Pending tasks that would open a paid provider operation, only as many as there is room for
 * under `maxInFlight`. An advisory lock makes the room count and the claim one step, so two
 * overlapping ticks cannot both fill the same room.
 */
export async function claimStartable(db: Db, providerKinds: readonly string[], maxInFlight: number, o: ClaimOptions): Promise<TaskRow[]> {
  if (providerKinds.length === 0 || o.limit <= 0) return [];
  return withTransaction(db, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('video_tasks.in_flight'))`);
    const { rows } = await client.query(
      `with in_flight as (
         select count(*)::int as n from video_tasks
          where kind = any($5)
            and (status = 'processing' or (status = 'pending' and locked_until >= $1))),
       due as (
         select id from video_tasks
          where status = 'pending'
            and kind = any($5)
            and next_check_at <= $1
            and (locked_until is null or locked_until < $1)
          order by next_check_at, created_at, position
          limit greatest(0, least($4, $6 - (select n from in_flight)))
          for update skip locked)
       update video_tasks t
          set locked_until = $1 + make_interval(secs => $3), locked_by = $2
         from due where t.id = due.id
       ${RETURNING}`,
      [o.now, o.tickId, o.leaseSeconds, o.limit, providerKinds, maxInFlight],
    );
    return parseRows(rows);
  });
}

/**
 * When the next unleased task comes due, for a tick deciding whether to linger. Pending provider
 * tasks count only when they could be started (generation enabled, room under the cap).
 */
export async function nextDueAt(db: Queryable, now: Date, providerKinds: readonly string[], includeStartable: boolean): Promise<Date | undefined> {
  const { rows } = await db.query<{ at: Date | null }>(
    `select min(next_check_at) as at from video_tasks
      where status in ('pending', 'processing')
        and (locked_until is null or locked_until < $1)
        and ($3 or status = 'processing' or not (kind = any($2)))`,
    [now, providerKinds, includeStartable],
  );
  return rows[0]?.at ?? undefined;
}
