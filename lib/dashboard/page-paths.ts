/**
 * Paths that open the dashboard's one page at a given view, for addresses people type or
 * bookmark (`/ops` for operators). The page routes by hash, so each is a rewrite to
 * `index.html`, and the page moves itself to the hash form on load. vercel.json's `rewrites`
 * must list exactly these (tests/dashboard-serving.test.ts holds them together), and the local
 * server serves them from this list.
 */
export const PAGE_REWRITES = [{ source: '/ops', destination: '/index.html', hash: '#/ops' }] as const;

/** The hash view a rewritten path stands for, or undefined for every other path. */
export function hashForPath(pathname: string): string | undefined {
  return PAGE_REWRITES.find((r) => r.source === pathname)?.hash;
}
