/**
 * The job a request names, checked against the caller before a handler acts on it. Here, above
 * auth/, because it reads the job: auth/ decides who may act, jobs/ knows whose a job is.
 */
import { assertOwner } from '../auth/owner.js';
import type { Caller } from '../auth/jwt.js';
import type { Queryable } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { jobOwner } from './view.js';

/** Resolves a job id the caller may act on, or throws the same 404 whether it is missing or not theirs. */
export async function requireOwnedJob(db: Queryable, caller: Caller, jobId: string): Promise<void> {
  const owner = await jobOwner(db, jobId);
  if (!owner) throw httpError(404, 'not_found', 'No job with this id');
  assertOwner(caller, owner.ownerId, 'job');
}
