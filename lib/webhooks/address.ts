/**
 * Which network addresses a webhook may reach in production: none of the service's own network
 * (loopback, private, link-local — where cloud metadata endpoints live — carrier-grade NAT,
 * multicast or reserved). Checked twice: on the URL as written (lib/webhooks/url.ts) and on every
 * address its host name resolves to when the webhook is posted (lib/webhooks/post.ts).
 */
import { BlockList, isIP } from 'node:net';

const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
// IPv4-mapped IPv6 (::ffff:10.0.0.1) is matched by the IPv4 rules above; NAT64 could reach any of
// them, so it is refused whole.
for (const [network, prefix] of [['::', 127], ['64:ff9b::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** True for an IP literal in a refused range; false for anything else, host names included. */
export function isPrivateAddress(host: string): boolean {
  const h = bare(host);
  const family = isIP(h);
  if (family === 0) return false;
  return refused.check(h, family === 4 ? 'ipv4' : 'ipv6');
}
