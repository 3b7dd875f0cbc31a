import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimOwnership, isAlive, processStartTime, readOwner } from './owner.js';

describe('owner file', () => {
  it('tells the live owner from a dead one, and from another process reusing its pid', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'owner-'));
    try {
      const data = path.join(dir, 'postgres');
      await claimOwnership(data);
      const me = await readOwner(data);
      expect(me).toEqual({ pid: process.pid, startTime: processStartTime(process.pid) });
      expect(isAlive(me!)).toBe(true);
      expect(isAlive({ pid: process.pid, startTime: '1' })).toBe(false);
      const child = spawn(process.execPath, ['-e', '']);
      const pid = child.pid!;
      await new Promise((resolve) => child.on('exit', resolve));
      expect(isAlive({ pid, startTime: processStartTime(process.pid)! })).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
