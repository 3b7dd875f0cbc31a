/**
 * The `:id` of /api/video/jobs/:id routes. Vercel hands a dynamic segment to the function as a
 * query parameter (`?id=`); it is validated here once for every handler that takes it.
 */
import { z } from 'zod';
import { httpError } from './respond.js';

const idSchema = z.uuid();

export function jobIdParam(request: Request): string {
  const id = new URL(request.url).searchParams.get('id') ?? '';
  if (!idSchema.safeParse(id).success) throw httpError(400, 'invalid_request', 'Job id must be a UUID', { id: 'must be a UUID' });
  return id.toLowerCase();
}
