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

/** The eight 16-bit groups of an IPv6 literal (which isIP has already accepted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  // A dotted tail (::127.0.0.1) is two groups written in IPv4 notation.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The IPv4 addresses an IPv6 literal carries inside it, in the forms a router or the host's own
 * stack may still act on: IPv4-compatible (::a.b.c.d, deprecated but parsed), IPv4-translated
 * (::ffff:0:a.b.c.d), 6to4 (2002:AABB:CCDD::) and Teredo (2001:0::, client address inverted).
 * Checking only the IPv6 form lets [::127.0.0.1] or [2002:7f00:1::] through as "public".
 */
export function embeddedIpv4(address: string): string[] {
  const g = ipv6Groups(address);
  const found: string[] = [];
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::/96 minus :: and ::1 (already refused as IPv6), i.e. IPv4-compatible.
  if (zeros(0, 6) && (g[6]! !== 0 || g[7]! > 1)) found.push(ipv4Of(g[6]!, g[7]!));
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) found.push(ipv4Of(g[6]!, g[7]!));
  if (g[0] === 0x2002) found.push(ipv4Of(g[1]!, g[2]!));
  if (g[0] === 0x2001 && g[1] === 0) found.push(ipv4Of(g[2]!, g[3]!), ipv4Of(g[6]! ^ 0xffff, g[7]! ^ 0xffff));
  return found;
}

/** True for an IP literal in a refused range; false for anything else, host names included. */
export function isPrivateAddress(host: string): boolean {
  const h = bare(host);
  const family = isIP(h);
  if (family === 0) return false;
  if (family === 4) return refused.check(h, 'ipv4');
  return refused.check(h, 'ipv6') || embeddedIpv4(h).some((v4) => refused.check(v4, 'ipv4'));
}
