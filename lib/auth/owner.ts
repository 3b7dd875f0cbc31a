/**
 * Ownership of the rows a request touches: a professor acts on their own jobs and escalations;
 * the service role acts for anyone and may name the professor it acts for.
 */
import { httpError } from '../http/respond.js';
import type { Caller } from './jwt.js';
import { canAccess } from './request.js';

/** The owner a new job gets: the caller, or for the service role the professor it names. */
export function ownerFor(caller: Caller, professorId: string | undefined): string | null {
  if (caller.role === 'service_role') return professorId?.toLowerCase() ?? null;
  if (professorId && professorId.toLowerCase() !== caller.userId) {
    throw httpError(403, 'forbidden', 'Only the service role may create jobs for another professor', { professorId: 'must be your own id or omitted' });
  }
  return caller.userId;
}

/** Throws 404 (not 403) for a row the caller may not see, so ids of others' rows reveal nothing. */
export function assertOwner(caller: Caller, ownerId: string | null | undefined, what: string, field?: string): void {
  if (!canAccess(caller, ownerId)) throw httpError(404, 'not_found', `No ${what} with this id`, field ? { [field]: `no ${what} with this id` } : undefined);
}
