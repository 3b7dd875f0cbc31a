/**
 * Realtime pokes: the professor's job rows as Postgres changes (supabase-js, row level security
 * on the server side, so no other professor's rows ever arrive). Only jobs: every task change a
 * view shows rewrites its job, and task rows are not published (their bookkeeping writes would
 * each be a metered message; supabase/migrations/*_unpublish_video_tasks.sql). A change does not
 * carry the job view (progress, signed URLs), so it tells the view to read the job now; while the
 * channel is up the views poll only slowly, and when it drops they poll as usual until
 * realtime-js has rejoined.
 */
import type { SupabaseClient } from '@supabase/supabase-js';

export interface Change {
  table: 'video_jobs';
  /** The job the changed row belongs to. */
  jobId: string;
}

export interface LiveChanges {
  isLive(): boolean;
  /** Called on every change and on every change of `isLive()`; returns the unsubscribe. */
  subscribe(listener: (change?: Change) => void): () => void;
  stop(): void;
}

export function createLiveChanges(client: SupabaseClient, userId: string): LiveChanges {
  const listeners = new Set<(change?: Change) => void>();
  let live = false;
  const emit = (change?: Change) => listeners.forEach((l) => l(change));
  const channel = client
    .channel(`explainers:${userId}`)
    .on('postgres_changes', { event: '*', schema: 'public', table: 'video_jobs', filter: `owner_id=eq.${userId}` }, (payload) => {
      const id = (payload.new as { id?: string }).id;
      if (id) emit({ table: 'video_jobs', jobId: id });
    })
    .subscribe((status) => {
      const next = status === 'SUBSCRIBED';
      if (next !== live) {
        live = next;
        emit();
      }
    });
  return {
    isLive: () => live,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      void client.removeChannel(channel);
    },
  };
}
