/**
 * Pausing new starts on one provider (video_provider_pauses). Luma refuses every new generation
 * while its account has no credits; failing each waiting scene for that would throw away work the operator can rescue by
 * topping up, so the step that meets the refusal pauses the provider instead and gives its scene
 * back. The startable claim gives a paused provider no room (20261205002000_provider_caps_and_pauses.sql);
 * other providers' scenes keep starting, and the first start after the pause ends tries again.
 * The operator metrics read the table within their one statement (lib/ops/metrics.ts), and the job
 * view and list within their read of the start queue (lib/jobs/queue.ts).
 */
import type { Queryable } from '../db/pool.js';
import { providerShortName } from '../model-limits.js';

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

/** What a job whose scenes wait on a paused provider tells its professor. */
export function pausedProviderStep(provider: string, until: Date): string {
  return `Waiting: new ${providerShortName(provider)} clips are paused until ${until.toISOString().slice(11, 16)} UTC; the scenes start then`;
}
