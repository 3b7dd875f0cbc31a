/**
 * Figure 4, memory: one 200 MB video streamed from the Veo double into the Storage double
 * (keepBytes: false) through the real clients and the real veo-scene path, in a fresh process
 * (bench/memory-child.ts) so nothing else shares its heap; the doubles run in a third process.
 * Reports peak RSS growth.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Server } from './support.js';

export interface MemoryResult {
  videoMb: number;
  baselineMb: number;
  peakMb: number;
  growthMb: number;
  seconds: number;
  stored: number;
}

export async function memory(server: Server): Promise<MemoryResult> {
  const { url } = await server.database('bench_memory');
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', child, url], {
    env: { ...process.env, LOG_LEVEL: 'silent' },
    maxBuffer: 1024 * 1024,
  });
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as MemoryResult;
}
