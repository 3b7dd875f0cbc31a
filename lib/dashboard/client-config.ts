/**
 * What the dashboard page learns at run time, before anyone signs in: how to sign in here. The
 * page is the same static build everywhere; only this answer differs between `npm start` and a
 * Supabase project. Nothing secret is ever in it: the publishable key is made for browsers, and
 * the service-role key is not read here at all.
 */
import { z } from 'zod';
import { listensOnLoopback, type Config } from '../config.js';
import { VIDEO_PROVIDERS } from '../model-limits.js';

export const clientConfigSchema = z.object({
  auth: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('supabase'), url: z.url(), publishableKey: z.string().min(1) }),
    // Development sign-in (lib/local/dev-sign-in.ts): only while npm start listens on loopback.
    z.object({ mode: z.literal('dev'), demoUserId: z.uuid() }),
    // No sign-in this server can offer; the page takes a pasted access token instead.
    z.object({ mode: z.literal('token'), reason: z.string() }),
  ]),
  provider: z.enum(VIDEO_PROVIDERS),
});

export type ClientConfig = z.infer<typeof clientConfigSchema>;

/** Development sign-in is offered only off Vercel, without Supabase, on a loopback listener. */
export function devSignInAllowed(config: Config): boolean {
  return !config.production && !config.SUPABASE_URL && !config.VERCEL_ENV && listensOnLoopback(config);
}

export function clientConfig(config: Config, demoUserId: string): ClientConfig {
  const provider = config.provider;
  if (config.SUPABASE_URL && config.SUPABASE_PUBLISHABLE_KEY) {
    return { auth: { mode: 'supabase', url: config.SUPABASE_URL, publishableKey: config.SUPABASE_PUBLISHABLE_KEY }, provider };
  }
  if (config.SUPABASE_URL) {
    return { auth: { mode: 'token', reason: 'SUPABASE_PUBLISHABLE_KEY is not set on the server, so the page cannot offer Supabase sign-in' }, provider };
  }
  if (devSignInAllowed(config)) return { auth: { mode: 'dev', demoUserId }, provider };
  return {
    auth: { mode: 'token', reason: `Development sign-in is off because the server listens on ${config.HOST}, beyond this machine; paste a token from npm run token` },
    provider,
  };
}
