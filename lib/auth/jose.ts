/**
 * jose, loaded on first use: a poll (the cron's every-minute call) authenticates by CRON_SECRET
 * and never verifies a token, so its cold start need not pay jose's load (about 40 ms,
 * BENCHMARKS.md figure 5). Every token path awaits `loadJose()` before it touches a key.
 */
let jose: typeof import('jose') | undefined;

export async function loadJose(): Promise<typeof import('jose')> {
  jose ??= await import('jose');
  return jose;
}

/** jose if something already loaded it: a jose error can only come from a loaded jose. */
export function loadedJose(): typeof import('jose') | undefined {
  return jose;
}
