/**
 * `npm run token -- [--user <uuid>] [--role service_role] [--admin] [--ttl 3600]`: prints an access
 * token signed with the local development key, for curl against `npm start`. Without --user it
 * speaks for the demo professor; --admin gives the user `app_metadata.role: "admin"` (an operator,
 * who may read GET /api/video/metrics). Only in local mode: with SUPABASE_URL set, tokens come from Supabase Auth.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../lib/config.js';
import { DEMO_PROFESSOR_ID, getDevKeys } from '../lib/auth/dev-keys.js';

// The key directory is relative to the project, as it is for `npm start`.
process.chdir(path.resolve(fileURLToPath(new URL('..', import.meta.url))));

const argsSchema = z.object({
  user: z.guid('--user must be a UUID').optional(),
  role: z.enum(['authenticated', 'service_role'], '--role must be authenticated or service_role').default('authenticated'),
  ttl: z.coerce.number().int('--ttl must be whole seconds').min(1).max(30 * 24 * 3600).default(3600),
  admin: z.boolean().default(false),
});

try {
  const { values } = parseArgs({
    options: { user: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' }, admin: { type: 'boolean' } },
    strict: true,
  });
  const args = argsSchema.parse(values);
  const keys = await getDevKeys(loadConfig());
  const userId = args.user ?? (args.role === 'authenticated' ? DEMO_PROFESSOR_ID : null);
  const operator = args.admin ? { appMetadata: { role: 'admin' } } : {};
  process.stdout.write(`${await keys.mintToken({ userId, role: args.role, ttlSeconds: args.ttl, ...operator })}\n`);
} catch (err) {
  const message = err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message;
  process.stderr.write(`token: ${message}\n`);
  process.exitCode = err instanceof ConfigError || err instanceof z.ZodError ? 2 : 1;
}
