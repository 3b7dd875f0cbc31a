/**
 * The Postgres pool and the one transaction helper every state change goes through.
 * In production DATABASE_URL is Supabase's pooled (transaction-mode) connection string, so
 * nothing here relies on session state surviving between statements outside a transaction.
 */
import pg from 'pg';
import { ConfigError } from '../config.js';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
/** Anything that can run a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// timestamptz and bigint arrive as strings unless told otherwise; counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  /**
   * PEM of the certificate authority the server's certificate must chain to (Supabase's root
   * certificate, DATABASE_CA_CERT). With it the connection is TLS, verified in full: chain and
   * host name. Without it the connection string alone decides.
   */
  ca?: string;
}

/** Query parameters that would otherwise replace the verified TLS settings (pg lets them win). */
const SSL_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'uselibpqcompat'];
/** Parameters that make pg build TLS settings of its own (dropping the CA), refused beside one. */
const CONFLICTING_PARAMS = ['sslcert', 'sslkey', 'sslnegotiation'];

/**
 * node-postgres lets the connection string's SSL parameters override an `ssl` option, and it reads
 * a CA only from a file (`sslrootcert`), which a Vercel function has no good place for. With a CA
 * given, the string's own SSL parameters are dropped and the CA passed as text.
 */
function connectionOptions(connectionString: string, ca: string | undefined): pg.PoolConfig {
  if (!ca) return { connectionString };
  let url: URL | undefined;
  try {
    url = new URL(connectionString);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname) {
    throw new ConfigError(['DATABASE_URL'], 'DATABASE_URL: must be a postgres://user:password@host:port/database URL when DATABASE_CA_CERT is set');
  }
  const params = url.searchParams;
  if (params.getAll('sslmode').includes('disable') || params.getAll('ssl').some((v) => v === 'false' || v === '0')) {
    throw new ConfigError(['DATABASE_CA_CERT'], 'DATABASE_CA_CERT: set, but DATABASE_URL turns TLS off; remove one of them');
  }
  const conflicting = CONFLICTING_PARAMS.filter((name) => params.has(name));
  if (conflicting.length > 0) {
    throw new ConfigError(['DATABASE_URL'], `DATABASE_URL: ${conflicting.join(', ')} cannot be combined with DATABASE_CA_CERT`);
  }
  for (const name of SSL_PARAMS) url.searchParams.delete(name);
  return { connectionString: url.toString(), ssl: { ca, rejectUnauthorized: true } };
}

export function createPool(connectionString: string, max = 5, options: PoolOptions = {}): Db {
  const pool = new pg.Pool({
    ...connectionOptions(connectionString, options.ca),
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
