/**
 * A <video> whose signed URL may expire while it is on screen (SIGNED_URL_TTL_SECONDS): when the
 * element fails to load, the job is read again (fresh URLs) and a new element takes over where
 * the old one was, playing if it played. A re-read job's new signature alone never restarts
 * playback.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

/** The URL without its signature, for telling a re-signed URL of the same file from another file. */
function fileOf(url: string): string {
  return url.split('?')[0]!;
}

export function FreshVideo({ src, poster, label, onStale, primary }: { src: string; poster?: string | undefined; label: string; onStale: () => Promise<void>; primary?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  const latest = useRef(src);
  latest.current = src;
  const [playing, setPlaying] = useState({ src, generation: 0 });
  const resume = useRef<{ time: number; play: boolean } | undefined>(undefined);
  const lastRefresh = useRef(0);

  useEffect(() => {
    if (fileOf(src) !== fileOf(playing.src)) setPlaying((p) => ({ src, generation: p.generation + 1 }));
  }, [src]);

  useEffect(() => {
    const video = ref.current;
    const at = resume.current;
    if (!video || !at) return;
    resume.current = undefined;
    video.addEventListener(
      'loadedmetadata',
      () => {
        video.currentTime = Math.min(at.time, video.duration || at.time);
        if (at.play) void video.play().catch(() => {});
      },
      { once: true },
    );
  }, [playing]);

  const onError = async () => {
    const video = ref.current;
    // At most once per ten seconds: a file that is really gone must not loop.
    if (!video || Date.now() - lastRefresh.current < 10_000) return;
    lastRefresh.current = Date.now();
    const at = { time: video.currentTime, play: !video.paused };
    await onStale().catch(() => {});
    resume.current = at;
    setPlaying((p) => ({ src: latest.current, generation: p.generation + 1 }));
  };

  const url = playing.src;
  return (
    <video
      key={playing.generation}
      ref={ref}
      // A clip without a poster shows black until played; a media fragment shows a frame from its first second.
      src={poster || primary ? url : `${url}#t=0.5`}
      poster={poster}
      controls
      preload={primary ? 'auto' : 'metadata'}
      playsInline
      aria-label={label}
      onError={() => void onError()}
      data-primary={primary ? 'true' : undefined}
      data-generation={playing.generation}
    />
  );
}
