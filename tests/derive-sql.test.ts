/**
 * The database derives jobs (sync_video_jobs, so a tick's commit is one round trip) by the rules
 * lib/jobs/derive.ts states in TypeScript. Two copies of one rule drift unless something holds
 * them together: this test writes generated task sets (every job kind, every task state, outputs
 * with and without their paths, failures with and without a reason) into real PostgreSQL, syncs
 * them, and compares every job row with deriveJob. Also what only the database does: waking a
 * task whose awaited tasks ended, leaving canceled jobs alone, one webhook per final move.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../lib/db/pool.js';
import { deriveJob, type TaskSummary } from '../lib/jobs/derive.js';
import { syncJobs } from '../lib/jobs/sync.js';
import { seededRandom } from '../lib/random.js';
import { JOB_KIND, STATUS, TASK_KIND, type Status } from '../lib/states.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('derive-sql');
});
afterAll(() => t.drop());

const random = seededRandom(20261205);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const TASK_STATUSES: Status[] = [STATUS.pending, STATUS.processing, STATUS.completed, STATUS.failed, STATUS.canceled];

/** A task of `kind` at `position`, in a random state with a random (possibly partial) output. */
function randomTask(kind: string, position: number, unit: number, extra: TaskSummary['input'] = {}): TaskSummary {
  const status = pick(TASK_STATUSES);
  const input: TaskSummary['input'] = { ...extra, ...(kind === TASK_KIND.veoScene ? { scene: unit } : kind === TASK_KIND.render ? {} : { index: unit }) };
  const output =
    status !== STATUS.completed || random() < 0.1
      ? null
      : {
          ...(random() < 0.9 ? { objectPath: pick([`p/${kind}-${position}.mp4`, '']) } : {}),
          ...(random() < 0.8 ? { url: `https://x/${kind}-${position}` } : {}),
          ...(random() < 0.5 ? { posterPath: `p/${kind}-${position}.jpg`, posterUrl: `https://x/${kind}-${position}.jpg` } : {}),
        };
  return { position, kind, status, error: status === STATUS.failed && random() < 0.8 ? `reason ${position}` : null, input, output };
}

/** A job's tasks as plan.ts lays them out: keyframes and scenes, a cut, variations; stills; variations. */
function randomTasks(jobKind: string): TaskSummary[] {
  const tasks: TaskSummary[] = [];
  const add = (kind: string, unit: number, extra: TaskSummary['input'] = {}) => tasks.push(randomTask(kind, tasks.length, unit, extra));
  const units = 1 + Math.floor(random() * 3);
  if (jobKind === JOB_KIND.video) {
    if (random() < 0.3) for (let i = 0; i < units; i++) add(TASK_KIND.imagenStill, i, { purpose: 'keyframe' });
    const first = tasks.length;
    for (let i = 0; i < units; i++) add(TASK_KIND.veoScene, i);
    if (random() < 0.8) add(TASK_KIND.render, 0, { waitsFor: Array.from({ length: units }, (_, i) => first + i) });
    if (random() < 0.3) add(TASK_KIND.variation, 0, { waitsFor: [tasks.length - 1] });
  } else if (jobKind === JOB_KIND.image) {
    for (let i = 0; i < units; i++) add(TASK_KIND.imagenStill, i);
  } else {
    for (let i = 0; i < units; i++) add(TASK_KIND.variation, i);
  }
  return tasks;
}

async function insertJob(kind: string, tasks: TaskSummary[], options: { status?: Status; webhook?: boolean } = {}): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>(
    `with e as (insert into escalations (question, response) values ('q', 'a') returning id)
     insert into video_jobs (escalation_id, kind, request, deadline_at, status, webhook_url)
     select id, $1, '{}'::jsonb, now() + interval '1 hour', $2, $3 from e returning id`,
    [kind, options.status ?? STATUS.processing, options.webhook ? 'https://hooks.example/x' : null],
  );
  const id = rows[0]!.id;
  await t.db.query(`update escalations e set video_job_id = $1 from video_jobs j where j.id = $1 and e.id = j.escalation_id`, [id]);
  for (const task of tasks) {
    await t.db.query(
      `insert into video_tasks (job_id, position, kind, status, input, output, error, next_check_at)
       values ($1, $2, $3, $4, $5, $6, $7, now() + interval '1 hour')`,
      [id, task.position, task.kind, task.status, task.input, task.output === null ? null : JSON.stringify(task.output), task.error],
    );
  }
  return id;
}

const sync = (ids: string[], now = new Date()) => withTransaction(t.db, (client) => syncJobs(client, ids, now));

describe('sync_video_jobs derives what deriveJob derives', () => {
  it('for 300 generated jobs of every kind: status, end, failure summary, what the job delivers', async () => {
    const cases: Array<{ id: string; kind: string; tasks: TaskSummary[] }> = [];
    for (let i = 0; i < 300; i++) {
      const kind = pick([JOB_KIND.video, JOB_KIND.video, JOB_KIND.image, JOB_KIND.variations]);
      // Now and then a job with no tasks at all: it has ended, with nothing delivered.
      const tasks = random() < 0.02 ? [] : randomTasks(kind);
      cases.push({ id: await insertJob(kind, tasks), kind, tasks });
    }
    const statuses = await sync(cases.map((c) => c.id));
    const { rows } = await t.db.query(
      `select j.id, j.status, j.error, j.video_path, j.video_url, j.poster_path, j.poster_url, j.completed_at is not null as final,
              e.video_generation_status, e.video_url as escalation_video_url, e.poster_url as escalation_poster_url
         from video_jobs j join escalations e on e.id = j.escalation_id where j.id = any($1)`,
      [cases.map((c) => c.id)],
    );
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    const seen = new Set<string>();
    for (const c of cases) {
      const want = deriveJob(c.kind, c.tasks);
      seen.add(want.status);
      const row = byId.get(c.id)!;
      const context = JSON.stringify({ kind: c.kind, tasks: c.tasks });
      expect(statuses.get(c.id), context).toBe(want.status);
      expect(
        { status: row.status, error: row.error, final: row.final, videoPath: row.video_path, videoUrl: row.video_url, posterPath: row.poster_path, posterUrl: row.poster_url },
        context,
      ).toEqual({ status: want.status, error: want.error, final: want.final, ...want.result });
      expect([row.video_generation_status, row.escalation_video_url, row.escalation_poster_url], context).toEqual([want.status, want.result.videoUrl, want.result.posterUrl]);
    }
    // The generator reached every state a job can be derived into.
    expect([...seen].sort()).toEqual([STATUS.completed, STATUS.failed, STATUS.pending, STATUS.processing]);
  });

  it('wakes a render whose scenes all ended, and only then', async () => {
    const scene = (position: number, status: Status): TaskSummary => ({ position, kind: TASK_KIND.veoScene, status, error: null, input: { scene: position }, output: null });
    const render: TaskSummary = { position: 2, kind: TASK_KIND.render, status: STATUS.pending, error: null, input: { waitsFor: [0, 1] }, output: null };
    const waiting = await insertJob(JOB_KIND.video, [scene(0, STATUS.failed), scene(1, STATUS.processing), render]);
    const ready = await insertJob(JOB_KIND.video, [scene(0, STATUS.failed), scene(1, STATUS.failed), render]);
    const now = new Date();
    await sync([waiting, ready], now);
    const { rows } = await t.db.query(`select job_id, next_check_at from video_tasks where kind = 'render' and job_id = any($1)`, [[waiting, ready]]);
    const due = new Map(rows.map((r) => [r.job_id as string, (r.next_check_at as Date).getTime()]));
    expect(due.get(ready)).toBe(now.getTime());
    expect(due.get(waiting)).toBeGreaterThan(now.getTime() + 30 * 60_000);
  });

  it('leaves a canceled job as it is, and enqueues a webhook once, when a job first ends', async () => {
    const done: TaskSummary = { position: 0, kind: TASK_KIND.veoScene, status: STATUS.completed, error: null, input: { scene: 0 }, output: { objectPath: 'p/a.mp4', url: 'https://x/a' } };
    const canceled = await insertJob(JOB_KIND.video, [done], { status: STATUS.canceled, webhook: true });
    const ending = await insertJob(JOB_KIND.video, [done], { webhook: true });
    const first = await sync([canceled, ending]);
    expect(Object.fromEntries(first)).toEqual({ [canceled]: STATUS.canceled, [ending]: STATUS.completed });
    await sync([canceled, ending]);
    const { rows: jobs } = await t.db.query(`select id, status, video_url from video_jobs where id = any($1)`, [[canceled, ending]]);
    expect(jobs.find((j) => j.id === canceled)).toMatchObject({ status: STATUS.canceled, video_url: null });
    const { rows: hooks } = await t.db.query(`select job_id, event from webhook_deliveries where job_id = any($1)`, [[canceled, ending]]);
    expect(hooks).toEqual([{ job_id: ending, event: 'job.completed' }]);
  });
});
