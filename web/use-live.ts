import { useEffect, useRef, useState } from 'preact/hooks';
import type { Change, LiveChanges } from './live-changes.js';

/**
 * Whether Realtime is up for this view, and `onChange` called for each change it delivers.
 * Without Realtime (development sign-in, a pasted token) it is never live.
 */
export function useLive(changes: LiveChanges | undefined, onChange: (change: Change) => void): boolean {
  const [live, setLive] = useState(changes?.isLive() ?? false);
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    if (!changes) return;
    setLive(changes.isLive());
    return changes.subscribe((change) => {
      if (change) handler.current(change);
      else setLive(changes.isLive());
    });
  }, [changes]);
  return live;
}
