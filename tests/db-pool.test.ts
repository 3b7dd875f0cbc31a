/**
 * The one transaction helper, on a real PostgreSQL: a connection that dies inside a transaction
 * fails that transaction and nothing else. The process keeps running, and the pool hands out a
 * working connection next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../lib/db/pool.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('db-pool');
});
afterAll(() => database.drop());

describe('withTransaction on a real PostgreSQL', () => {
  it('a connection terminated mid-transaction rejects that transaction, raises no uncaught error, and is not reused', async () => {
    const { db } = database;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      await db.query('create table if not exists pool_probe (n int)');
      let victim = 0;
      const failed = await withTransaction(db, async (client) => {
        await client.query('insert into pool_probe values (1)');
        victim = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
        // Another session kills this one while a query is in flight, as a failover or the pooler
        // would. The query goes out first: killed between queries, the next one is refused
        // locally ("not queryable") and the lost connection is never seen by the transaction.
        const inFlight = client.query('select pg_sleep(5)');
        // Handled from here on: the killed session's error may arrive before the kill's own answer,
        // and a rejection nobody is listening to yet is reported as unhandled, failing the run.
        inFlight.catch(() => undefined);
        await db.query('select pg_terminate_backend($1)', [victim]);
        await inFlight;
      }).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failed?.message).toMatch(/terminat/i);
      // Give the socket's close and error events time to land.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);

      // Nothing of the killed transaction stayed, and the next transaction gets a live connection.
      const pid = await withTransaction(db, async (client) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
      expect(pid).not.toBe(victim);
      expect((await db.query('select count(*)::int as n from pool_probe')).rows[0].n).toBe(0);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
