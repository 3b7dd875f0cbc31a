import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { countParam, parseQuery } from './query.js';

const schema = z.strictObject({ limit: z.string().regex(/^\d+$/, 'must be a number').transform(Number).optional(), status: z.enum(['a', 'b']).optional() });

function refusal(params: string): { status?: number; fields?: Record<string, string> } {
  try {
    parseQuery(schema, new URLSearchParams(params));
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, fields: err.fields };
    throw err;
  }
  throw new Error(`accepted ${params}`);
}

describe('parseQuery', () => {
  it('parses a good query through the schema', () => {
    expect(parseQuery(schema, new URLSearchParams('limit=20&status=a'))).toEqual({ limit: 20, status: 'a' });
    expect(parseQuery(schema, new URLSearchParams(''))).toEqual({});
  });

  it('names every bad parameter at once: repeated, unknown, invalid', () => {
    const { status, fields } = refusal('limit=1&limit=2&status=c&colour=red');
    expect(status).toBe(400);
    expect(Object.keys(fields!).sort()).toEqual(['colour', 'limit', 'status']);
    expect(fields!.limit).toBe('must be given at most once');
  });
});

describe('countParam', () => {
  const counts = z.strictObject({ n: countParam(200, 20, 'how many') });
  it('takes a whole number from 1 to its maximum, its default when absent, and refuses anything else by name', () => {
    expect(parseQuery(counts, new URLSearchParams(''))).toEqual({ n: 20 });
    expect(parseQuery(counts, new URLSearchParams('n=200'))).toEqual({ n: 200 });
    for (const bad of ['0', '201', '1e2', '-1', '0x10', '1000', ' 5']) {
      expect(() => parseQuery(counts, new URLSearchParams({ n: bad })), bad).toThrow(/Invalid query: n/);
    }
  });
});
