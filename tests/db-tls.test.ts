/**
 * DATABASE_CA_CERT on a real PostgreSQL serving TLS (its own embedded server, certificates made
 * by openssl for the run): the service's pool connects encrypted and verified against the given
 * CA, and refuses a server that certificate does not vouch for, even where the connection string
 * asks for less (`sslmode=require`, which Supabase's dashboard shows).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../lib/db/embedded.js';
import { createPool, type Db } from '../lib/db/pool.js';
import { buildServices } from '../lib/services.js';

const run = promisify(execFile);

let dir: string;
let server: EmbeddedDatabase;
let ca: string;
let otherCa: string;
const pools: Db[] = [];

/** A CA, and a server key and certificate it signs for `altName`. */
async function makeCa(name: string): Promise<void> {
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)]);
}

async function makeServerCert(name: string, caName: string, altName: string): Promise<void> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
  await writeFile(ext, `subjectAltName=${altName}\n`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', path.join(dir, `${caName}.crt`), '-CAkey', path.join(dir, `${caName}.key`),
    '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', path.join(dir, `${name}.crt`)]);
  // PostgreSQL reads its key only if no one else can, and runs as `postgres` when we are root.
  await chmod(key, 0o600);
  if (process.getuid?.() === 0) {
    const ids = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
    await chown(key, await ids('-u'), await ids('-g'));
    await chown(path.join(dir, `${name}.crt`), await ids('-u'), await ids('-g'));
  }
}

function pool(url: string, ca?: string): Db {
  const p = createPool(url, 1, ca ? { ca } : {});
  pools.push(p);
  return p;
}

async function tlsInUse(db: Db): Promise<boolean> {
  const { rows } = await db.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
  return rows[0]!.ssl;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'video-test-tls-'));
  await chmod(dir, 0o755);
  await makeCa('ca');
  await makeCa('other-ca');
  await makeServerCert('server', 'ca', 'IP:127.0.0.1');
  await makeServerCert('elsewhere', 'ca', 'DNS:db.elsewhere.test');
  ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');
  otherCa = await readFile(path.join(dir, 'other-ca.crt'), 'utf8');
  server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    persistent: false,
    settings: { ssl: 'on', ssl_cert_file: path.join(dir, 'server.crt'), ssl_key_file: path.join(dir, 'server.key') },
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(pools.map((p) => p.end()));
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('DATABASE_CA_CERT against a PostgreSQL serving TLS (embedded server, openssl certificates)', () => {
  it('the services pool connects over TLS verified by the CA, whatever sslmode the URL names', async () => {
    for (const query of ['', '?sslmode=require', '?sslmode=verify-full&uselibpqcompat=true']) {
      const config = loadConfig({ DATABASE_URL: `${server.url('postgres')}${query}`, DATABASE_CA_CERT: ca });
      const services = buildServices(config);
      pools.push(services.db);
      expect(await tlsInUse(services.db)).toBe(true);
    }
    // Without the variable, the URL alone decides: plain TCP here.
    expect(await tlsInUse(pool(server.url('postgres')))).toBe(false);
  });

  it('a PEM with its line breaks written as \\n (a one-line variable) is the same certificate', async () => {
    const config = loadConfig({ DATABASE_URL: server.url('postgres'), DATABASE_CA_CERT: ca.replace(/\n/g, '\\n') });
    expect(config.DATABASE_CA_CERT).toBe(ca.trim());
    expect(config.DATABASE_CA_CERT).toContain('\n');
    expect(await tlsInUse(pool(server.url('postgres'), config.DATABASE_CA_CERT))).toBe(true);
  });

  it('a server the CA did not sign is refused, and so is a certificate for another host name', async () => {
    await expect(pool(server.url('postgres'), otherCa).query('select 1')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    // The server now presents a certificate from the same CA, made out to another host. A reload
    // rereads the files in place (the server's command line pins their paths).
    const admin = pool(server.url('postgres'));
    const swap = async (from: string) => {
      await copyFile(path.join(dir, `${from}.crt`), path.join(dir, 'server.crt'));
      await copyFile(path.join(dir, `${from}.key`), path.join(dir, 'server.key'));
      await admin.query('select pg_reload_conf()');
    };
    await copyFile(path.join(dir, 'server.crt'), path.join(dir, 'original.crt'));
    await copyFile(path.join(dir, 'server.key'), path.join(dir, 'original.key'));
    await swap('elsewhere');
    try {
      // The reload lands in the postmaster shortly after; new connections then get the new certificate.
      let lastError: unknown;
      for (const started = Date.now(); Date.now() - started < 10_000; ) {
        const fresh = createPool(server.url('postgres'), 1, { ca });
        lastError = await fresh.query('select 1').then(() => undefined, (err: unknown) => err);
        await fresh.end();
        if (lastError) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(String(lastError)).toMatch(/does not match|altnames/i);
    } finally {
      await swap('original');
    }
  });

  it('bad values are refused by name: not a PEM, or a URL that turns TLS off', () => {
    const refusal = (env: Record<string, string>, build = false) => {
      try {
        const config = loadConfig(env);
        if (build) createPool(config.DATABASE_URL!, 1, { ca: config.DATABASE_CA_CERT! });
      } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
      }
      throw new Error('expected a ConfigError');
    };
    expect(refusal({ DATABASE_CA_CERT: 'prod-ca-2021.crt' })).toMatchObject({ variables: ['DATABASE_CA_CERT'], message: expect.stringMatching(/PEM/) });
    const off = refusal({ DATABASE_URL: `${server.url('postgres')}?sslmode=disable`, DATABASE_CA_CERT: ca }, true);
    expect(off).toMatchObject({ variables: ['DATABASE_CA_CERT'], message: expect.stringMatching(/turns TLS off/) });
  });
});
