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
  // Started plain, then TLS is turned on by reload: as root the key must belong to the `postgres`
  // user, which the start itself creates.
  server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false, durable: false });
  await makeCa('ca');
  await makeCa('other-ca');
  await makeServerCert('server', 'ca', 'IP:127.0.0.1');
  await makeServerCert('elsewhere', 'ca', 'DNS:db.elsewhere.test');
  ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');
  otherCa = await readFile(path.join(dir, 'other-ca.crt'), 'utf8');
  const admin = pool(server.url('postgres'));
  await admin.query(`alter system set ssl_cert_file = '${path.join(dir, 'server.crt')}'`);
  await admin.query(`alter system set ssl_key_file = '${path.join(dir, 'server.key')}'`);
  await admin.query('alter system set ssl = on');
  await admin.query('select pg_reload_conf()');
  await until(async () => (await admin.query<{ ssl: string }>('show ssl')).rows[0]!.ssl === 'on', 'TLS to be on');
}, 60_000);

/** Resolves once `condition` holds: a reload lands in the server shortly after it is asked for. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (const started = Date.now(); !(await condition()); ) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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

  it('a PEM with its line breaks written as \\n or \\r\\n (a one-line variable), or with CRLF endings, is the same certificate', async () => {
    for (const written of [ca.replace(/\n/g, '\\n'), ca.replace(/\n/g, '\\r\\n'), ca.replace(/\n/g, '\r\n')]) {
      const config = loadConfig({ DATABASE_URL: server.url('postgres'), DATABASE_CA_CERT: written });
      expect(config.DATABASE_CA_CERT).toBe(ca.trim());
      expect(await tlsInUse(pool(server.url('postgres'), config.DATABASE_CA_CERT))).toBe(true);
    }
  });

  it('a server the CA did not sign is refused, and so is a certificate for another host name', async () => {
    // However little checking the URL asks for: the CA's verification is what applies.
    for (const query of ['', '?ssl=no-verify', '?sslmode=no-verify', '?sslmode=prefer&uselibpqcompat=true', '?sslmode=require&uselibpqcompat=true', '?ssl=true&sslmode=verify-ca&uselibpqcompat=true']) {
      await expect(pool(`${server.url('postgres')}${query}`, otherCa).query('select 1'), query).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    }
    // The server now presents a certificate from the same CA, made out to another host. A reload
    // rereads the files in place.
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
    // Text that looks like PEM but is no certificate: Node's TLS would skip it without a word. The
    // last is a bundle whose second certificate lost a line of its body (48 bytes of its DER).
    const lines = ca.trim().split('\n');
    const shortened = [...lines.slice(0, 2), ...lines.slice(3)].join('\n');
    for (const broken of ['-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----', ca.slice(0, 60), `${ca}\n${shortened}`]) {
      expect(refusal({ DATABASE_CA_CERT: broken }).variables).toEqual(['DATABASE_CA_CERT']);
    }
    for (const query of ['?sslmode=disable', '?sslmode=require&sslmode=disable', '?ssl=false']) {
      const off = refusal({ DATABASE_URL: `${server.url('postgres')}${query}`, DATABASE_CA_CERT: ca }, true);
      expect(off).toMatchObject({ variables: ['DATABASE_CA_CERT'], message: expect.stringMatching(/turns TLS off/) });
    }
    // Parameters with which pg would build its own TLS settings and drop the CA.
    for (const query of ['?sslnegotiation=direct', '?sslcert=/c.crt&sslkey=/c.key']) {
      expect(refusal({ DATABASE_URL: `${server.url('postgres')}${query}`, DATABASE_CA_CERT: ca }, true)).toMatchObject({ variables: ['DATABASE_URL'], message: expect.stringMatching(/cannot be combined/) });
    }
    for (const url of ['host=db.ref.supabase.co dbname=postgres', 'https://db.ref.supabase.co/postgres']) {
      expect(refusal({ DATABASE_URL: url, DATABASE_CA_CERT: ca }, true).variables).toEqual(['DATABASE_URL']);
    }
  });
});
