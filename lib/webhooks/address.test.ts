import { describe, expect, it } from 'vitest';
import { embeddedIpv4, isPrivateAddress } from './address.js';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '[::1]', '::ffff:10.0.0.1',
    // IPv6 forms that carry a refused IPv4 address inside them.
    '[::127.0.0.1]', '::7f00:1', '[2002:7f00:1::]', '2002:a9fe:a9fe::1', '::ffff:0:127.0.0.1', '::a00:1',
    // Teredo: the client address is stored inverted (~127.0.0.1 = 80ff:fffe).
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
  ])('refuses %s', (host) => {
    expect(isPrivateAddress(host)).toBe(true);
  });

  it.each(['8.8.8.8', '2606:4700::1111', '[2002:808:808::]', '::8.8.8.8', 'example.com'])('lets %s through', (host) => {
    expect(isPrivateAddress(host)).toBe(false);
  });
});

describe('embeddedIpv4', () => {
  it('reads the IPv4 inside IPv4-compatible, 6to4 and Teredo forms', () => {
    expect(embeddedIpv4('::127.0.0.1')).toEqual(['127.0.0.1']);
    expect(embeddedIpv4('2002:7f00:1::')).toEqual(['127.0.0.1']);
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1']);
    expect(embeddedIpv4('2606:4700::1111')).toEqual([]);
  });
});
