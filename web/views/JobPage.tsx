/**
 * One job: status, progress and current step live (polling with backoff), elapsed time and when
 * its scenes were last looked at, a card per scene, the final cut with its poster, download,
 * cancel and retry with confirmation, variations, and the escalation it belongs to.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api, type JobView } from '../api.js';
import { ConfirmDialog, Notice, ProgressBar, Spinner, StatusBadge } from '../components/ui.js';
import { loadFormLimits, retryBody, retryChoice, type FormLimits } from '../capabilities.js';
import { ago, elapsed, headline, isActive, megabytes, providerLabel, sceneErrorLead } from '../format.js';
import type { LiveChanges } from '../live-changes.js';
import { JOB_POLL, LIVE_POLL, startPolling, type Poller } from '../live.js';
import { href } from '../router.js';
import { useLive } from '../use-live.js';
import { useNow } from '../use-now.js';
import { FreshVideo } from './FreshVideo.js';

type Scene = JobView['scenes'][number];

/** The job's fields the page shows, for telling a real change from a re-signed URL. */
function fingerprint(job: JobView): string {
  return JSON.stringify([job.status, job.progress, job.currentStep, job.queuePosition, job.lastCheckedAt, job.scenes.map((s) => [s.status, s.progress, s.attempts, s.error])]);
}

function SceneCard({ scene, aspect, onStale }: { scene: Scene; aspect: string; onStale: () => Promise<void> }) {
  const ready = scene.status === 'completed' && scene.url;
  return (
    <li class={`scene-card scene-${scene.status}`}>
      <div class="scene-head">
        <h3>{scene.label}</h3>
        <StatusBadge status={scene.status} />
      </div>
      <div class={`media media-${aspect === '9:16' ? 'portrait' : 'landscape'}`}>
        {ready ? (
          <FreshVideo src={scene.url!} label={scene.label} onStale={onStale} />
        ) : (
          <div class="media-placeholder">
            {isActive(scene.status) ? <ProgressBar value={scene.progress} label={`${scene.label} progress`} /> : <span>{scene.status === 'canceled' ? 'Not made' : scene.status === 'failed' ? 'No clip' : ''}</span>}
          </div>
        )}
      </div>
      {scene.text && <p class="scene-text">{headline(scene.text, 220)}</p>}
      {scene.description && <p class="hint">{scene.description}</p>}
      {scene.provider && scene.kind === 'veo_scene' && (
        <p class="hint">
          {providerLabel(scene.provider)}
          {scene.durationSeconds ? `, ${scene.durationSeconds} s` : ''}
        </p>
      )}
      {scene.note && <p class="hint scene-note">{scene.note}</p>}
      {scene.error && (
        <p class={isActive(scene.status) ? 'hint scene-retrying' : 'scene-error'}>
          <strong>{sceneErrorLead(scene.status)}</strong> {scene.error}
        </p>
      )}
    </li>
  );
}

export function JobPage({ api, id, changes }: { api: Api; id: string; changes?: LiveChanges | undefined }) {
  const [job, setJob] = useState<JobView>();
  const [error, setError] = useState<{ text: string; fatal: boolean }>();
  const [confirm, setConfirm] = useState<'cancel' | 'retry'>();
  const [acting, setActing] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  /** Read when a retry is first offered: whether it may move the failed clips to another provider. */
  const [limits, setLimits] = useState<FormLimits>();
  const [retryProvider, setRetryProvider] = useState<string>();
  const poller = useRef<Poller | undefined>(undefined);
  const last = useRef<string | undefined>(undefined);
  const active = job ? isActive(job.status) : true;
  // A change to this job or one of its tasks: read the job now rather than at the next poll.
  const live = useLive(changes, (change) => {
    if (change.jobId === id) poller.current?.now();
  });
  const now = useNow(1000, active);

  const load = async (signal?: AbortSignal) => {
    const next = await api.request<JobView>(`/api/video/jobs/${id}`, signal ? { signal } : {});
    const print = fingerprint(next);
    const changed = print !== last.current;
    if (changed && last.current !== undefined) setAnnouncement(`${next.currentStep}. ${next.progress}%`);
    last.current = print;
    setJob(next);
    setError(undefined);
    return { next, changed };
  };

  /** Follows the job until it is final: again after a retry, which makes a final job active. */
  const follow = () => {
    poller.current?.stop();
    poller.current = startPolling(
      async (signal) => {
        const { next, changed } = await load(signal);
        if (!isActive(next.status)) return 'final';
        return changed ? 'changed' : 'same';
      },
      live ? LIVE_POLL : JOB_POLL,
      (err, retryIn) => {
        if (err instanceof ApiError && err.status === 401) return;
        if (err instanceof ApiError && err.status === 404) {
          poller.current?.stop();
          setError({ text: 'There is no such explainer, or it is not yours.', fatal: true });
          return;
        }
        setError({ text: `${err instanceof ApiError ? err.message : 'The job could not be loaded'}. Trying again in ${Math.round(retryIn / 1000)} s.`, fatal: false });
      },
    );
  };

  useEffect(() => {
    setJob(undefined);
    last.current = undefined;
  }, [id]);

  // Realtime coming up or going down changes how often the job is polled.
  useEffect(() => {
    follow();
    return () => poller.current?.stop();
  }, [id, live]);

  const act = async (action: 'cancel' | 'retry', body?: { provider: string }) => {
    setActing(true);
    setActionError(undefined);
    try {
      await api.request(`/api/video/jobs/${id}/${action}`, { method: 'POST', ...(body ? { body } : {}) });
      setConfirm(undefined);
      setAnnouncement(action === 'cancel' ? 'Canceling the explainer' : body ? `Retrying the failed scenes on ${providerLabel(body.provider)}` : 'Retrying the failed scenes');
      follow();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : 'That did not work. Try again.');
    } finally {
      setActing(false);
    }
  };

  if (error?.fatal) {
    return (
      <section>
        <Notice kind="error">{error.text}</Notice>
        <a href={href({ name: 'jobs' })}>Back to your explainers</a>
      </section>
    );
  }
  if (!job) return error ? <Notice kind="error">{error.text}</Notice> : <Spinner label="Loading the explainer…" />;

  const request = job.request as { question?: string; response?: string; aspectRatio?: string };
  const title = headline(request.question || request.response || 'Explainer', 120);
  const aspect = request.aspectRatio ?? '16:9';
  const scenes = job.scenes.filter((s) => s.kind !== 'render' && s.kind !== 'variation');
  const variations = job.scenes.filter((s) => s.kind === 'variation');
  const failedScenes = job.scenes.filter((s) => s.status === 'failed').length;
  // Each scene card says why it failed; the job's own error is shown when no card would say it.
  const unshownFailure = job.scenes.some((s) => s.status === 'failed' && s.kind === 'render');
  const canRetry = !isActive(job.status) && failedScenes > 0 && job.status !== 'canceled';
  const retry = retryChoice(limits, job.scenes.filter((s) => s.status === 'failed'));
  const retryOn = retryProvider ?? retry?.initial;
  const openRetry = () => {
    setRetryProvider(undefined);
    setConfirm('retry');
    // Only to offer another provider: without the capabilities the retry works as before.
    loadFormLimits(api).then(setLimits, () => undefined);
  };
  const refresh = async () => void (await load());

  return (
    <section aria-labelledby="job-heading" class="job-page">
      <p class="crumbs">
        <a href={href({ name: 'jobs' })}>Your explainers</a>
      </p>
      <div class="view-head">
        <h1 id="job-heading">{title}</h1>
        <StatusBadge status={job.status} />
      </div>
      <div class="status-panel">
        <div class="status-line">
          <span class="current-step">{job.currentStep}</span>
          <span class="percent">{job.progress}%</span>
        </div>
        <ProgressBar value={job.progress} label="Explainer progress" />
        <p class="status-meta">
          {active ? (
            <>
              <span>
                Running for <span class="clock">{elapsed(job.createdAt, now)}</span>
              </span>
              {job.lastCheckedAt && <span>Scenes last checked {ago(job.lastCheckedAt, now)}</span>}
              {job.estimatedCompletedAt && <span>Expected done around {new Date(job.estimatedCompletedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</span>}
            </>
          ) : (
            <span>{job.completedAt ? `Finished ${ago(job.completedAt, now)}, after ${elapsed(job.createdAt, Date.parse(job.completedAt))}` : `Created ${ago(job.createdAt, now)}`}</span>
          )}
        </p>
        {changes && (
          <p class="live-state" data-live={String(live)}>
            {live ? 'Live: updates arrive as they happen' : 'Reconnecting to live updates; checking every few seconds'}
          </p>
        )}
        {error && <Notice kind="warning">{error.text}</Notice>}
        {job.error && (job.status === 'failed' || unshownFailure) && <Notice kind="error">{job.error}</Notice>}
        <p class="visually-hidden" aria-live="polite">
          {announcement}
        </p>
      </div>

      {job.kind === 'video' && (
        <div class="final">
          <h2>Final cut</h2>
          <div class={`media media-${aspect === '9:16' ? 'portrait' : 'landscape'} media-final`}>
            {job.videoUrl ? (
              <FreshVideo src={job.videoUrl} poster={job.posterUrl ?? undefined} label={`Final cut: ${title}`} onStale={refresh} primary />
            ) : (
              <div class="media-placeholder">
                <span>{isActive(job.status) ? 'The final cut appears here when the scenes are ready.' : 'No final cut was made.'}</span>
              </div>
            )}
          </div>
        </div>
      )}

      <div class="actions">
        {job.videoUrl && (
          <a class="button-primary" href={job.videoUrl} download={`explainer-${job.id.slice(0, 8)}.mp4`}>
            Download
          </a>
        )}
        {isActive(job.status) && (
          <button type="button" class="button-danger" onClick={() => setConfirm('cancel')}>
            Cancel
          </button>
        )}
        {canRetry && (
          <button type="button" class="button-secondary" onClick={openRetry}>
            Retry failed scenes
          </button>
        )}
        <a class="button-quiet" href={href({ name: 'jobs', escalationId: job.escalationId })}>
          Escalation {job.escalationId.slice(0, 8)}
        </a>
      </div>
      {actionError && <Notice kind="error">{actionError}</Notice>}

      <h2>Scenes</h2>
      <ul class="scene-grid">
        {scenes.map((s) => (
          <SceneCard key={`${s.kind}-${s.index}`} scene={s} aspect={aspect} onStale={refresh} />
        ))}
      </ul>
      {variations.length > 0 && (
        <>
          <h2>Variations</h2>
          <ul class="scene-grid">
            {variations.map((s) => (
              <SceneCard key={`v-${s.index}`} scene={s} aspect={aspect} onStale={refresh} />
            ))}
          </ul>
        </>
      )}
      {job.videoUrl && <p class="hint">Final cut: {megabytes(job.scenes.find((s) => s.kind === 'render')?.bytes)}</p>}

      <ConfirmDialog open={confirm === 'cancel'} title="Cancel this explainer?" confirmLabel="Cancel the explainer" danger busy={acting} onConfirm={() => act('cancel')} onCancel={() => setConfirm(undefined)}>
        <p>Scenes not yet finished are stopped. Finished scenes stay, but no final cut is made.</p>
      </ConfirmDialog>
      <ConfirmDialog open={confirm === 'retry'} title="Retry the failed scenes?" confirmLabel="Retry" busy={acting} onConfirm={() => act('retry', retryBody(retry, retryOn))} onCancel={() => setConfirm(undefined)}>
        <p>
          {failedScenes} failed part{failedScenes === 1 ? '' : 's'} will be made again, then the final cut. Each new clip is a new {providerLabel(retryOn ?? job.provider ?? 'veo')} operation.
        </p>
        {retry && (
          <div class="field">
            <label for="retry-provider">Make the clips on</label>
            <select id="retry-provider" value={retryOn} onChange={(e) => setRetryProvider((e.target as HTMLSelectElement).value)}>
              {retry.providers.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.label}
                  {p.name === retry.current ? ' (as before)' : ''}
                </option>
              ))}
            </select>
            {retryOn !== retry.current && <p class="hint">A clip length {providerLabel(retryOn!)} does not make is changed to its nearest, and the scene says so.</p>}
          </div>
        )}
      </ConfirmDialog>
    </section>
  );
}
