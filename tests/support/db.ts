/**
 * Each test file works on its own clone of the migrated template database, named after the file,
 * so files run in parallel without seeing each other's rows. A clone is dropped only when its
 * file passed, so a failure leaves its rows to inspect.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterEach, inject } from 'vitest';
import { createPool, type Db } from '../../lib/db/pool.js';

/**
 * Whether a test of this file has failed. Registered when the file imports this module (each file
 * gets its own copy of the module), so every clone's `drop`, whoever calls it, keeps the evidence.
 */
let fileFailed = false;
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') fileFailed = true;
});

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  drop: () => Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const template = inject('templateDatabase');
  const name = `t_${createHash('sha1').update(`${label}:${process.pid}:${Math.random()}`).digest('hex').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const db = createPool(url, 20);
  return {
    db,
    url,
    name,
    drop: async () => {
      await db.end();
      if (fileFailed) {
        // With TEST_DATABASE_URL the server outlives the run; an embedded one is removed with it.
        process.stderr.write(`test database ${name} kept for inspection: a test of this file failed\n`);
        return;
      }
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`).finally(() => c.end());
    },
  };
}

/** Row counts of the tables a request may write, to prove a refused request changed nothing. */
export async function tableCounts(db: Db): Promise<Record<string, number>> {
  const { rows } = await db.query<{ escalations: number; video_jobs: number; video_tasks: number }>(
    `select (select count(*) from escalations)::int as escalations,
            (select count(*) from video_jobs)::int as video_jobs,
            (select count(*) from video_tasks)::int as video_tasks`,
  );
  return { ...rows[0]! };
}
