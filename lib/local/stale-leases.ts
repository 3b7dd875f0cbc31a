/**
 * Leases a dead `npm start` left behind. The embedded database belongs to one live `npm start` at a
 * time (lib/local/owner.ts refuses a second), so when one starts, every lease in it was taken by a
 * process that is gone: a kill -9 between a claim and its outcome. Giving them back at once lets
 * the scenes resume now instead of after LEASE_SECONDS. Never for a shared DATABASE_URL, where
 * other processes may hold live leases.
 */
import type { Db } from '../db/pool.js';
import { releaseEveryLease } from '../jobs/task-writes.js';

export function releaseStaleLeases(db: Db): Promise<number> {
  return releaseEveryLease(db);
}
