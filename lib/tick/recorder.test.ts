import { describe, expect, it } from 'vitest';
import type { Applied, OutcomeToApply } from '../tasks/apply.js';
import type { RecordedOutcome, TaskRow } from '../tasks/types.js';
import { OutcomeRecorder } from './recorder.js';

const item = (id: string, outcome: RecordedOutcome): OutcomeToApply => ({ task: { id } as TaskRow, outcome, began: new Date() });
const waiting: RecordedOutcome = { type: 'waiting' };
const started: RecordedOutcome = { type: 'started', provider: 'veo', operationName: 'op' };

function fakeWrites(failMany = false) {
  const log: string[][] = [];
  let release: (() => void) | undefined;
  const gate = () => new Promise<void>((r) => (release = r));
  return {
    log,
    open: () => release?.(),
    writes: {
      one: async (i: OutcomeToApply): Promise<Applied> => {
        log.push([i.task.id]);
        if (i.task.id === 'gated') await gate();
        return i.outcome.type === 'started' ? 'created' : 'polled';
      },
      many: async (items: OutcomeToApply[]): Promise<Applied[]> => {
        if (failMany) throw new Error('one bad row');
        log.push(items.map((i) => i.task.id));
        return items.map(() => 'polled' as const);
      },
    },
  };
}

describe('outcome recorder', () => {
  it('writes the first at once and batches what arrives while it commits', async () => {
    const f = fakeWrites();
    const r = new OutcomeRecorder(f.writes);
    const first = r.record(item('gated', waiting));
    const rest = ['a', 'b', 'c'].map((id) => r.record(item(id, waiting)));
    await new Promise((res) => setTimeout(res, 10));
    expect(f.log).toEqual([['gated']]);
    f.open();
    expect(await first).toBe('polled');
    expect(await Promise.all(rest)).toEqual(['polled', 'polled', 'polled']);
    expect(f.log).toEqual([['gated'], ['a', 'b', 'c']]);
  });

  it('a fresh operation name never waits behind a batch', async () => {
    const f = fakeWrites();
    const r = new OutcomeRecorder(f.writes);
    const first = r.record(item('gated', waiting));
    expect(await r.record(item('fresh', started))).toBe('created');
    expect(f.log).toEqual([['gated'], ['fresh']]);
    f.open();
    await first;
  });

  it('caps a batch and falls back to one at a time when a batch fails', async () => {
    const f = fakeWrites(true);
    const r = new OutcomeRecorder(f.writes, 2);
    const first = r.record(item('gated', waiting));
    const rest = ['a', 'b', 'c'].map((id) => r.record(item(id, waiting)));
    f.open();
    await first;
    expect(await Promise.all(rest)).toEqual(['polled', 'polled', 'polled']);
    expect(f.log).toEqual([['gated'], ['a'], ['b'], ['c']]);
  });
});

describe('outcome recorder under steady load', () => {
  it('eight steps that each have their next outcome at hand fill whole batches, not one and seven in turn', async () => {
    const batches: number[] = [];
    // Each write takes a turn of I/O, as a commit does.
    const io = () => new Promise((resolve) => setImmediate(resolve));
    const r = new OutcomeRecorder({
      one: async () => {
        batches.push(1);
        await io();
        return 'polled';
      },
      many: async (items) => {
        batches.push(items.length);
        await io();
        return items.map(() => 'polled' as const);
      },
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let id = next++; id < 80; id = next++) await r.record(item(String(id), waiting));
      }),
    );
    expect(batches.reduce((a, b) => a + b, 0)).toBe(80);
    // The first commits alone; after it, every commit carries the eight the steps had ready.
    expect(batches.length).toBeLessThanOrEqual(12);
  });
});
