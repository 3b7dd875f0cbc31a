import { describe, expect, it } from 'vitest';
import { KINDS } from '../kinds/registry.js';
import { PROVIDER_KINDS, TASK_KINDS } from './registry.js';

describe('the task registry', () => {
  it('runs every described kind, and each module is its descriptor plus advance', () => {
    expect([...TASK_KINDS.keys()]).toEqual(KINDS.tasks.map((k) => k.kind));
    for (const descriptor of KINDS.tasks) {
      const { advance, ...rest } = TASK_KINDS.get(descriptor.kind as never)!;
      expect(typeof advance).toBe('function');
      expect(rest).toEqual(descriptor);
    }
  });

  it('starts paid operations for the kinds whose descriptor says so', () => {
    expect(PROVIDER_KINDS).toEqual(KINDS.tasks.filter((k) => k.usesProvider).map((k) => k.kind));
  });
});
