/**
 * The headers every dashboard file is served with, locally and on Vercel (vercel.json's `headers`
 * must list the same; tests/dashboard-serving.test.ts holds them together). The page holds a
 * session token, so it may run only its own scripts, talk only to this origin and Supabase, and
 * never be framed.
 */

export interface PageSources {
  /** Origins the page's media (videos, posters) may come from besides its own. */
  media: string[];
  /** Origins the page may call besides its own (Supabase Auth, Realtime). */
  connect: string[];
}

/**
 * On Vercel the headers are static (vercel.json), so the Supabase project is named by pattern:
 * its API, Storage's signed URLs and Realtime's socket all live under `<ref>.supabase.co`. A
 * project behind a custom domain adds that domain in vercel.json.
 */
export const SUPABASE_SOURCES: PageSources = {
  media: ['https://*.supabase.co'],
  connect: ['https://*.supabase.co', 'wss://*.supabase.co'],
};

export function contentSecurityPolicy(sources: PageSources): string {
  const list = (extra: string[]) => ['\'self\'', ...extra].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Preact sets styles through the CSSOM (element.style), which style-src does not govern.
    "style-src 'self'",
    `img-src ${list(['data:', 'blob:', ...sources.media])}`,
    `media-src ${list(['blob:', ...sources.media])}`,
    `connect-src ${list(sources.connect)}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function pageHeaders(sources: PageSources): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(sources),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}
