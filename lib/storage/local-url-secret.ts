/**
 * The secret the local folder store signs its file URLs with, as Supabase Storage signs with its
 * project's JWT secret: 32 random bytes made once and kept in a 0600 file beside the development
 * auth keys, so URLs handed out before an `npm start` restart still open after it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeOnce } from '../fs/write-once.js';

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
  await writeOnce(file, `${randomBytes(32).toString('hex')}\n`);
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
