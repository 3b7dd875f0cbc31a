/**
 * Which webhook URLs a generate may name. Only `https` in production; in development plain `http`
 * is allowed to loopback hosts so a receiver on the same machine can be tested. A URL carrying
 * credentials, or (in production) naming a loopback or private address literally, is refused:
 * the service must not be talked into posting to its own network. A host name is checked again
 * when the webhook is posted, on the addresses it then resolves to (./post.ts).
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { isLoopbackHost, isPrivateAddress } from './address.js';

const MAX_URL_LENGTH = 2048;

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
