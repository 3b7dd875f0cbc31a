import { describe, expect, it } from 'vitest';
import { preferredType } from './accept.js';

const OFFERED = ['application/json', 'text/plain'] as const;
const pick = (accept: string | null) => preferredType(accept, OFFERED);

describe('preferredType', () => {
  it('answers the default form when the client states no preference', () => {
    for (const accept of [null, '', '*/*', 'application/json', 'application/*', 'image/png', 'text/plain;q=0, */*', 'garbage']) {
      expect(pick(accept), String(accept)).toBe('application/json');
    }
  });

  it('answers text when the client prefers it, as Prometheus does', () => {
    expect(pick('text/plain')).toBe('text/plain');
    expect(pick('text/*')).toBe('text/plain');
    expect(pick('text/plain;version=0.0.4;q=0.3,*/*;q=0.2')).toBe('text/plain');
    // Prometheus 2.x's scrape header: OpenMetrics first (not offered here), then the 0.0.4 text.
    expect(pick('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe('text/plain');
    expect(pick('TEXT/PLAIN; charset=utf-8')).toBe('text/plain');
  });

  it('weighs the most specific range, and breaks a tie for the default', () => {
    expect(pick('application/json;q=0.5, text/plain;q=0.9')).toBe('text/plain');
    expect(pick('application/json;q=0.9, text/plain;q=0.5')).toBe('application/json');
    expect(pick('application/json, text/plain')).toBe('application/json');
    expect(pick('text/*;q=0.8, text/plain;q=0.1, */*;q=0.5')).toBe('application/json');
    expect(pick('text/plain;q=1.5, application/json;q=0.1')).toBe('application/json');
  });
});
