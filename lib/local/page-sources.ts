/**
 * Where the page may load media from and connect to under `npm start`: this server under its
 * public name (a page opened at localhost still gets file URLs naming 127.0.0.1), and the Supabase
 * project when one is configured.
 */
import type { Config } from '../config.js';
import type { PageSources } from '../dashboard/security-headers.js';

export function localPageSources(config: Config): PageSources {
  const own = new URL(config.publicBaseUrl).origin;
  const supabase = config.SUPABASE_URL ? new URL(config.SUPABASE_URL) : undefined;
  const socket = supabase ? `${supabase.protocol === 'https:' ? 'wss:' : 'ws:'}//${supabase.host}` : undefined;
  return {
    media: [own, ...(supabase ? [supabase.origin] : [])],
    connect: [own, ...(supabase ? [supabase.origin] : []), ...(socket ? [socket] : [])],
  };
}
