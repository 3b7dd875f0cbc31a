/**
 * Which webhook URLs a generate may name. Only `https` in production; in development plain `http`
 * is allowed to loopback hosts so a receiver on the same machine can be tested. A URL carrying
 * credentials, or (in production) naming a loopback or private address literally, is refused:
 * the service must not be talked into posting to its own network.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Config } from '../config.js';

const MAX_URL_LENGTH = 2048;

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function isPrivateAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIP(h) === 6) return h === '::' || h === '::1' || /^f[cd]/.test(h) || h.startsWith('fe80:') || h.startsWith('::ffff:');
  return false;
}

/** Why `raw` is not an acceptable webhook URL, or undefined when it is. */
export function webhookUrlProblem(raw: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') {
    if (production && (isLoopbackHost(url.hostname) || isPrivateAddress(url.hostname))) return 'must not point at a loopback or private address';
    return undefined;
  }
  if (url.protocol === 'http:' && !production && isLoopbackHost(url.hostname)) return undefined;
  return production ? 'must use https' : 'must use https (plain http only to a loopback host in development)';
}

/** The `webhookUrl` field of a generate request, for this deployment. */
export function webhookUrlSchema(config: Pick<Config, 'production' | 'WEBHOOK_SECRET'>) {
  return z
    .string()
    .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
    .superRefine((raw, ctx) => {
      const problem = webhookUrlProblem(raw, config.production);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
      else if (!config.WEBHOOK_SECRET) ctx.addIssue({ code: 'custom', message: 'webhooks are not enabled on this server (WEBHOOK_SECRET is not set)' });
    })
    .meta({ description: 'Where to POST the job JSON on a terminal state (https; http only to loopback in development).', format: 'uri' });
}
