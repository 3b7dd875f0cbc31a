import { describe, expect, it } from 'vitest';
import { createBackgroundWork } from './background.js';

describe('createBackgroundWork', () => {
  it('shutdown aborts running work and resolves only once it has ended', async () => {
    const work = createBackgroundWork();
    const steps: string[] = [];
    void work.run('tick', async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20));
      steps.push('leases released');
    });
    await work.shutdown();
    steps.push('shutdown done');
    expect(steps).toEqual(['leases released', 'shutdown done']);
  });

  it('waits for work registered while winding down, which starts aborted; a failure does not stop the rest', async () => {
    const work = createBackgroundWork();
    const ended: string[] = [];
    void work.run('fails', async () => {
      throw new Error('boom');
    });
    void work.run('response', async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      void work.run('after response', async (inner) => {
        expect(inner.aborted).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 20));
        ended.push('after response');
      });
      ended.push('response');
    });
    await work.shutdown();
    expect(ended).toEqual(['response', 'after response']);
  });
});
