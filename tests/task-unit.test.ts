/**
 * video_tasks.unit: written when a job is planned, from what each task's kind reads from its
 * input (lib/kinds/), and backfilled the same way for rows written before the column
 * (supabase/migrations/20261205003000_task_unit.sql).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { createTestApp, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('task-unit', { QUOTA_JOBS_PER_HOUR: '1000', QUOTA_ACTIVE_JOBS: '1000' });
});
afterAll(() => app.close());

const answer = ['Plants make their own food from sunlight.', 'Roots drink water from the soil.', 'Leaves breathe in carbon dioxide.'].join('\n\n');

const unitsOf = async (jobId: string) =>
  (await app.database.db.query<{ kind: string; unit: number | null }>(`select kind, unit from video_tasks where job_id = $1 order by position`, [jobId])).rows.map((r) => `${r.kind}:${r.unit}`);

describe('video_tasks.unit', () => {
  it('is written when planned: keyframes and scenes by storyboard index, variations by their index, the final cut none', async () => {
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, keyframes: true, variations: 2 } });
    expect(res.status).toBe(202);
    expect(await unitsOf(res.json.jobId)).toEqual([
      'imagen_still:0', 'imagen_still:1', 'imagen_still:2',
      'veo_scene:0', 'veo_scene:1', 'veo_scene:2',
      'render:null',
      'variation:0', 'variation:1',
    ]);
  });

  it('is backfilled by the migration for rows without one, each kind from its own field', async () => {
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, keyframes: true, variations: 2 } });
    const jobId = res.json.jobId as string;
    const before = await unitsOf(jobId);
    // As rows written before the column: no unit, and one older scene without `scene` in its input.
    await app.database.db.query(`update video_tasks set unit = null where job_id = $1`, [jobId]);
    await app.database.db.query(`update video_tasks set input = input - 'scene' where job_id = $1 and kind = 'veo_scene' and position = 5`, [jobId]);
    await app.database.db.query(await readFile('supabase/migrations/20261205003000_task_unit.sql', 'utf8'));
    expect(await unitsOf(jobId)).toEqual(before.map((u, i) => (i === 5 ? 'veo_scene:null' : u)));
  });
});
