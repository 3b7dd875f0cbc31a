/**
 * The Postgres pool and the one transaction helper every state change goes through.
 * In production DATABASE_URL is Supabase's pooled (transaction-mode) connection string, so
 * nothing here relies on session state surviving between statements outside a transaction.
 */
import pg from 'pg';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
/** Anything that can run a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// timestamptz and bigint arrive as strings unless told otherwise; counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(connectionString: string, max = 5): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    // Vercel functions freeze between invocations; short idle times avoid stale sockets.
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in one transaction; rolls back on any throw. */
export async function withTransaction<T>(db: Db, work: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  // The pool stops listening for a client's errors while it is checked out: a connection lost
  // mid-transaction would raise an unhandled 'error' and end the process. The query in flight
  // rejects with it anyway; here it only marks the client as broken.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    if (!broken) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
    }
    throw err;
  } finally {
    client.off('error', onError);
    // A broken client is closed, not handed to the next caller.
    client.release(broken);
  }
}
