import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  it('gives its values back earliest first, whatever order they came in', () => {
    const heap = new MinHeap<number>();
    const times = [50, 10, 40, 10, 90, 0, 70, 30, 20, 60, 80, 5];
    times.forEach((t, i) => heap.push(t, i));
    expect(heap.size).toBe(times.length);
    const out: number[] = [];
    while (heap.size > 0) {
      const at = heap.peek()!;
      const i = heap.pop()!;
      expect(times[i]).toBe(at);
      out.push(at);
    }
    expect(out).toEqual([...times].sort((a, b) => a - b));
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });
});
