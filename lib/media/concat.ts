/**
 * Stitches clips into one MP4 and grabs a poster frame, with the bundled ffmpeg. Clips that share
 * their codec parameters (every clip of one Veo model does) are joined by the concat demuxer with
 * stream copy: no quality loss, seconds instead of minutes. Clips that differ (a model change
 * mid-job, a re-generated scene at another size) are re-encoded through the concat filter,
 * scaled and padded to the first clip's frame.
 */
import { writeFile } from 'node:fs/promises';
import { readMp4Info, type Mp4Info } from './mp4.js';
import { runFfmpeg, type FfmpegProgress } from './ffmpeg.js';

export interface ConcatOptions {
  signal?: AbortSignal;
  binary?: string;
  onProgress?: (progress: FfmpegProgress) => void;
  /** Where the concat demuxer's list is written (beside the output). */
  listFile: string;
}

export interface ConcatResult {
  mode: 'copy' | 'reencode';
  clips: Mp4Info[];
}

/** Re-encoded cuts use this rate: Veo's own. */
const REENCODE_FPS = 24;

/** The parameters that must match for the concat demuxer to stream-copy cleanly. */
function signature(info: Mp4Info): string {
  return JSON.stringify([
    info.videoCodec, info.width, info.height, info.videoTimescale,
    info.hasAudio, info.audioCodec, info.audioSampleRate, info.audioChannels,
  ]);
}

export function canStreamCopy(clips: Mp4Info[]): boolean {
  return clips.length > 0 && clips.every((c) => c.hasVideo && signature(c) === signature(clips[0]!));
}

/** The concat demuxer's list syntax: single quotes, a quote inside written as '\''. */
function listLine(file: string): string {
  return `file '${file.replace(/'/g, "'\\''")}'`;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function reencodeArgs(files: string[], clips: Mp4Info[], output: string): string[] {
  const width = even(clips[0]!.width || 640);
  const height = even(clips[0]!.height || 360);
  const inputs = files.flatMap((f) => ['-i', f]);
  const parts: string[] = [];
  const pairs: string[] = [];
  clips.forEach((clip, i) => {
    parts.push(
      `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${REENCODE_FPS},format=yuv420p[v${i}]`,
    );
    // A clip without sound gets silence of its own length, so picture and sound stay in step.
    parts.push(
      clip.hasAudio
        ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
        : `anullsrc=r=48000:cl=stereo,atrim=duration=${clip.durationSeconds.toFixed(3)},aformat=sample_fmts=fltp[a${i}]`,
    );
    pairs.push(`[v${i}][a${i}]`);
  });
  parts.push(`${pairs.join('')}concat=n=${clips.length}:v=1:a=1[v][a]`);
  return [
    ...inputs,
    '-filter_complex', parts.join(';'),
    '-map', '[v]', '-map', '[a]',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', output,
  ];
}

/** Joins `files` in order into `output`. */
export async function concatClips(files: string[], output: string, options: ConcatOptions): Promise<ConcatResult> {
  const clips = await Promise.all(files.map((f) => readMp4Info(f)));
  const run = { ...(options.signal ? { signal: options.signal } : {}), ...(options.binary ? { binary: options.binary } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  if (canStreamCopy(clips)) {
    await writeFile(options.listFile, `${files.map(listLine).join('\n')}\n`);
    await runFfmpeg(['-f', 'concat', '-safe', '0', '-i', options.listFile, '-map', '0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '-y', output], run);
    return { mode: 'copy', clips };
  }
  await runFfmpeg(reencodeArgs(files, clips, output), run);
  return { mode: 'reencode', clips };
}

/** One JPEG frame from `atSeconds` into the video. */
export async function extractPoster(video: string, output: string, atSeconds: number, options: { signal?: AbortSignal; binary?: string } = {}): Promise<void> {
  await runFfmpeg(['-ss', atSeconds.toFixed(3), '-i', video, '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-y', output], options);
}
