/**
 * Pausing new starts on one provider. Luma refuses every new generation while its account has no
 * credits; failing each waiting scene for that would throw away work the operator can rescue by
 * topping up, so the step that meets the refusal pauses the provider instead and gives its scene
 * back. The startable claim gives a paused provider no room (20261205002000_provider_caps_and_pauses.sql);
 * other providers' scenes keep starting, and the first start after the pause ends tries again.
 */
import type { Queryable } from '../db/pool.js';

export interface ProviderPause {
  provider: string;
  pausedUntil: Date;
  reason: string;
  pausedAt: Date;
}

/** Pauses (or extends the pause of) a provider; one row per provider, safe to repeat. */
export async function pauseProvider(db: Queryable, provider: string, until: Date, reason: string, now: Date): Promise<void> {
  await db.query(
    `insert into video_provider_pauses (provider, paused_until, reason, paused_at) values ($1, $2, $3, $4)
     on conflict (provider) do update
        set paused_until = greatest(video_provider_pauses.paused_until, excluded.paused_until),
            reason = excluded.reason,
            paused_at = case when video_provider_pauses.paused_until > $4 then video_provider_pauses.paused_at else excluded.paused_at end`,
    [provider, until, reason, now],
  );
}

/** The providers paused at `now`, for the operator's view. */
export async function activePauses(db: Queryable, now: Date): Promise<ProviderPause[]> {
  const { rows } = await db.query<{ provider: string; paused_until: Date; reason: string; paused_at: Date }>(
    `select provider, paused_until, reason, paused_at from video_provider_pauses where paused_until > $1 order by provider`,
    [now],
  );
  return rows.map((r) => ({ provider: r.provider, pausedUntil: r.paused_until, reason: r.reason, pausedAt: r.paused_at }));
}
