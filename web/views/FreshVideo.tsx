/**
 * A <video> whose signed URL may expire while it plays (SIGNED_URL_TTL_SECONDS): on a load error
 * the job is read again (fresh URLs), and playback resumes where it was.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

/** The URL without its signature, for telling a re-signed URL of the same file from another file. */
function fileOf(url: string): string {
  return url.split('?')[0]!;
}

export function FreshVideo({ src, poster, label, onStale, primary }: { src: string; poster?: string | undefined; label: string; onStale: () => Promise<void>; primary?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  // Keep the URL the element plays while it works: a re-read job's new signature must not restart playback.
  const [playing, setPlaying] = useState(src);
  const resume = useRef<{ time: number; play: boolean } | undefined>(undefined);
  const lastRefresh = useRef(0);

  useEffect(() => {
    if (fileOf(src) !== fileOf(playing) || resume.current) setPlaying(src);
  }, [src]);

  useEffect(() => {
    const video = ref.current;
    const at = resume.current;
    if (!video || !at) return;
    resume.current = undefined;
    const seek = () => {
      video.currentTime = at.time;
      if (at.play) void video.play().catch(() => {});
    };
    video.addEventListener('loadedmetadata', seek, { once: true });
  }, [playing]);

  const onError = () => {
    const video = ref.current;
    // At most once per ten seconds: a file that is really gone must not loop.
    if (!video || Date.now() - lastRefresh.current < 10_000) return;
    lastRefresh.current = Date.now();
    resume.current = { time: video.currentTime, play: !video.paused };
    void onStale();
  };

  return <video ref={ref} src={playing} poster={poster} controls preload={primary ? 'auto' : 'metadata'} playsInline aria-label={label} onError={onError} data-primary={primary ? 'true' : undefined} />;
}
