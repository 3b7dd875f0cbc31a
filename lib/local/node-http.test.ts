import { describe, expect, it } from 'vitest';
import { requestUrl } from './node-http.js';

describe('requestUrl', () => {
  it('keeps path and query under our origin; an absolute request-target cannot name the host', () => {
    expect(requestUrl('/api/video/jobs?limit=2', 'http://127.0.0.1:3000').href).toBe('http://127.0.0.1:3000/api/video/jobs?limit=2');
    expect(requestUrl('http://evil.example/api/video/generate?x=1', 'http://127.0.0.1:3000').href).toBe('http://127.0.0.1:3000/api/video/generate?x=1');
    expect(requestUrl('//evil.example/api/openapi.json', 'http://127.0.0.1:3000').origin).toBe('http://127.0.0.1:3000');
    expect(requestUrl(undefined, 'http://127.0.0.1:3000').href).toBe('http://127.0.0.1:3000/');
  });
});
