/**
 * Who may run the poller: Vercel Cron sends `Authorization: Bearer $CRON_SECRET`. Compared in
 * constant time. In production a missing secret refuses to run rather than running open.
 */
import { ConfigError, type Config } from '../config.js';
import { httpError } from '../http/respond.js';
import { log } from '../log.js';
import { sameSecret } from './same-secret.js';

let warnedOpen = false;

export function authorizeCron(request: Request, config: Config): void {
  const secret = config.CRON_SECRET;
  if (!secret) {
    if (config.production) {
      // A configuration fault like any other: a 500 naming the variable, not a retryable 503.
      throw new ConfigError(['CRON_SECRET'], 'CRON_SECRET: required in production; the poller refuses to run open');
    }
    if (!warnedOpen) {
      warnedOpen = true;
      log('cron.open', { message: 'CRON_SECRET is not set: the poll endpoint is open (development only)' });
    }
    return;
  }
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match || !sameSecret(match[1]!.trim(), secret)) {
    throw httpError(401, 'unauthorized', 'The poll endpoint needs Authorization: Bearer <CRON_SECRET>');
  }
}
