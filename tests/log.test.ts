/**
 * The structured log line: one JSON object per event, whose own `event` and `t` no field can
 * replace, with secrets and signed URLs redacted.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, setLogSilent } from '../lib/log.js';

function captured(run: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  setLogSilent(false);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => setLogSilent(process.env.LOG_LEVEL === 'silent'));

describe('log', () => {
  it('a field named event or t does not replace the line’s own', () => {
    const [line] = captured(() => log('webhook.delivered', { event: 'job.completed', t: 'yesterday', jobId: 'j1' }));
    expect(line).toMatchObject({ event: 'webhook.delivered', jobId: 'j1' });
    expect(Date.parse(String(line!.t))).not.toBeNaN();
    expect(Object.keys(line!).slice(0, 2)).toEqual(['t', 'event']);
  });

  it('redacts secret-named fields and signed-URL tokens, nested too', () => {
    const [line] = captured(() =>
      log('x', { apiKey: 'AIza-secret', url: 'https://s/o/v.mp4?token=abc.def&x=1', nested: { authorization: 'Bearer t', list: ['https://x?sig=zz'] } }),
    );
    const text = JSON.stringify(line);
    for (const secret of ['AIza-secret', 'abc.def', 'Bearer t', 'zz']) expect(text).not.toContain(secret);
    expect(line).toMatchObject({ url: 'https://s/o/v.mp4?token=[redacted]&x=1' });
  });
});
