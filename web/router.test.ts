import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router.js';

const ID = '9f1c6b8e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';

describe('hash routes', () => {
  it('parses every view and round-trips through href', () => {
    for (const route of [{ name: 'jobs' }, { name: 'jobs', status: 'failed' }, { name: 'jobs', escalationId: ID }, { name: 'new' }, { name: 'job', id: ID }, { name: 'ops' }] as const) {
      expect(parseRoute(href(route))).toEqual(route);
    }
    expect(parseRoute('')).toEqual({ name: 'jobs' });
    expect(parseRoute(`#/jobs/${ID.toUpperCase()}`)).toEqual({ name: 'job', id: ID });
  });

  it('sends anything else to not-found, and drops an escalation filter that is not a UUID', () => {
    expect(parseRoute('#/jobs/not-a-uuid')).toEqual({ name: 'not-found', path: '/jobs/not-a-uuid' });
    expect(parseRoute('#/settings')).toEqual({ name: 'not-found', path: '/settings' });
    expect(parseRoute('#/ops/extra')).toEqual({ name: 'not-found', path: '/ops/extra' });
    expect(parseRoute('#/?escalation=1;drop')).toEqual({ name: 'jobs' });
  });
});
