/**
 * The database the migrations build, compared with the committed tests/schema.snapshot.txt. A
 * migration that changes the schema changes the snapshot in the same commit, so a reviewer sees
 * the resulting tables, indexes, functions, policies and grants, not only the SQL that made them;
 * a schema changed by hand, or a migration edited after the fact, fails here.
 * After an intended change: UPDATE_SCHEMA_SNAPSHOT=1 npx vitest run tests/schema-snapshot.test.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { schemaSnapshot } from './support/schema-snapshot.js';

const SNAPSHOT = path.resolve('tests/schema.snapshot.txt');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('schema-snapshot');
});
afterAll(() => t.drop());

describe('the migrated schema', () => {
  it('is the committed snapshot', async () => {
    const actual = await schemaSnapshot(t.db);
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') await writeFile(SNAPSHOT, actual);
    const committed = await readFile(SNAPSHOT, 'utf8').catch(() => '');
    expect(actual, 'the schema differs from tests/schema.snapshot.txt: if a migration meant it, run UPDATE_SCHEMA_SNAPSHOT=1 npx vitest run tests/schema-snapshot.test.ts and commit the file').toBe(committed);
  });

  it('names what the engine relies on', async () => {
    const snapshot = await readFile(SNAPSHOT, 'utf8');
    expect(snapshot).toMatch(/^video_tasks rls=true fillfactor=\d+$/m);
    expect(snapshot).toMatch(/^claim_due_video_tasks\(/m);
    expect(snapshot).toContain('-- policies');
  });
});
