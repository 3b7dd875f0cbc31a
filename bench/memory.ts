/**
 * Figure 4, memory: one 200 MB video streamed from the Veo double into the Storage double
 * (keepBytes: false) through the real clients and the real veo-scene path, each reading in a
 * process of its own (bench/memory-child.ts) so nothing else shares its heap; the doubles run in
 * a third. Reports peak RSS growth twice: on a warm instance (a first, small video went the same
 * way before the baseline), which is what streaming costs and what the target is about, and as a
 * fresh process's first video, which adds what an instance pays once.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Server } from './support.js';

export interface MemoryReading {
  videoMb: number;
  baselineMb: number;
  peakMb: number;
  growthMb: number;
  seconds: number;
  stored: number;
}

export interface MemoryResult {
  /** The target's reading: the instance has streamed a video before. */
  warm: MemoryReading;
  /** The process's first video: also Node's fetch starting and the SDKs loading. */
  fresh: MemoryReading;
}

async function reading(server: Server, mode: 'warm' | 'fresh'): Promise<MemoryReading> {
  const { url } = await server.database(`bench_memory_${mode}`);
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', child, url, mode], {
    env: { ...process.env, LOG_LEVEL: 'silent' },
    maxBuffer: 1024 * 1024,
  });
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as MemoryReading;
}

export async function memory(server: Server): Promise<MemoryResult> {
  const warm = await reading(server, 'warm');
  const fresh = await reading(server, 'fresh');
  return { warm, fresh };
}
