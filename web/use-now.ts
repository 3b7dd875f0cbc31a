import { useEffect, useState } from 'preact/hooks';

/** The current time, refreshed every `everyMs`, for "3 minutes ago" and elapsed clocks. */
export function useNow(everyMs: number, enabled = true): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, enabled]);
  return now;
}
