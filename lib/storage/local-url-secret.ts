/**
 * The secret the local folder store signs its file URLs with, as Supabase Storage signs with its
 * project's JWT secret: 32 random bytes made once and kept in a 0600 file beside the development
 * auth keys, so URLs handed out before an `npm start` restart still open after it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';

const FILE = 'storage-url-secret';
const loaded = new Map<string, Promise<Buffer>>();

async function readOrCreate(dir: string): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, FILE);
  try {
    return await readSecret(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Written aside and linked into place: of two processes racing, one secret wins and both read it.
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return readSecret(file);
}

async function readSecret(file: string): Promise<Buffer> {
  const text = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file} is not a storage URL secret (64 hex digits); delete it to make a new one`);
  await chmod(file, 0o600);
  return Buffer.from(text, 'hex');
}

export function localUrlSecret(config: Pick<Config, 'AUTH_DEV_KEYS_DIR'>): Promise<Buffer> {
  const dir = path.resolve(config.AUTH_DEV_KEYS_DIR);
  let secret = loaded.get(dir);
  if (!secret) {
    secret = readOrCreate(dir);
    secret.catch(() => loaded.delete(dir));
    loaded.set(dir, secret);
  }
  return secret;
}
