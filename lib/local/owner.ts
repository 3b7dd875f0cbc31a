/**
 * Which `npm start` owns a data directory. An owner file (pid and the process's start time, so a
 * reused pid is not mistaken for the owner) tells a live owner, which is refused, from a dead one,
 * whose orphaned PostgreSQL is stopped before a new one starts on the same data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const ownerSchema = z.object({ pid: z.number().int().positive(), startTime: z.string() });
export type Owner = z.infer<typeof ownerSchema>;

/** Field 22 of /proc/<pid>/stat (after the parenthesised name, which may hold spaces); undefined when gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isAlive(owner: Owner): boolean {
  return processStartTime(owner.pid) === owner.startTime;
}

export function ownerFile(dataDir: string): string {
  return `${path.resolve(dataDir)}.owner.json`;
}

export async function readOwner(dataDir: string): Promise<Owner | undefined> {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(await readFile(ownerFile(dataDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function claimOwnership(dataDir: string, pid = process.pid): Promise<void> {
  const startTime = processStartTime(pid);
  if (startTime) await writeFile(ownerFile(dataDir), JSON.stringify({ pid, startTime }));
}

export async function releaseOwnership(dataDir: string): Promise<void> {
  await rm(ownerFile(dataDir), { force: true });
}

/** The pid in PostgreSQL's own lock file, when one is there. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Stops a PostgreSQL left running by a dead owner: a fast shutdown (SIGINT, what `pg_ctl stop -m
 * fast` sends), waiting until it has exited. Returns whether there was one.
 */
export async function stopOrphan(dataDir: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || processStartTime(pid) === undefined) return false;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (processStartTime(pid) !== undefined) {
    if (Date.now() > deadline) throw new Error(`the PostgreSQL left running on ${dataDir} (pid ${pid}) did not stop within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
