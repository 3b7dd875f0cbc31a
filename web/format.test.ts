import { describe, expect, it } from 'vitest';
import { ago, elapsed, headline, megabytes, retryWhen, sceneErrorLead } from './format.js';

const NOW = Date.parse('2026-12-05T10:00:00Z');

describe('format', () => {
  it('says how long ago, with "just now" for the last ten seconds and a clock a little ahead', () => {
    expect(ago('2026-12-05T09:59:55Z', NOW)).toBe('just now');
    expect(ago('2026-12-05T10:00:03Z', NOW)).toBe('just now');
    expect(ago('2026-12-05T09:57:00Z', NOW)).toBe('3 minutes ago');
    expect(ago(null, NOW)).toBe('');
    expect(ago('not a date', NOW)).toBe('');
  });

  it('shows elapsed time as a clock', () => {
    expect(elapsed('2026-12-05T09:58:55Z', NOW)).toBe('1:05');
    expect(elapsed('2026-12-05T08:57:57Z', NOW)).toBe('1:02:03');
    expect(elapsed('2026-12-05T10:00:09Z', NOW)).toBe('0:00');
  });

  it('says when a refused request may be tried again', () => {
    expect(retryWhen(1, NOW)).toMatch(/^in 1 second \(at /);
    expect(retryWhen(40, NOW)).toMatch(/^in 40 seconds \(at /);
    expect(retryWhen(61, NOW)).toMatch(/^in 2 minutes \(at /);
  });

  it('cuts a headline at a word and sizes files', () => {
    expect(headline('short   text')).toBe('short text');
    expect(headline('one two three four five', 12)).toBe('one two…');
    expect(headline('a'.repeat(20), 10)).toBe(`${'a'.repeat(9)}…`);
    expect(megabytes(2048)).toBe('2 KB');
    expect(megabytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(megabytes(null)).toBe('');
  });

  it("says a scene's error is why it failed only once it has; while it is made again, what the last try met", () => {
    expect(sceneErrorLead('failed')).toBe('Why it failed:');
    expect(sceneErrorLead('canceled')).toBe('Why it failed:');
    expect(sceneErrorLead('pending')).toBe('Trying again after:');
    expect(sceneErrorLead('processing')).toBe('Trying again after:');
  });
});
