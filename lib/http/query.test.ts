import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { parseQuery } from './query.js';

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
