/**
 * Runs ffmpeg as a child process: the binary from FFMPEG_PATH, else the static build bundled by
 * `@ffmpeg-installer/ffmpeg` (a December 2018 4.1 build, no ffprobe), so nothing depends on a
 * system install. Progress comes from `-progress pipe:1`; a failure carries the end of stderr,
 * which is where ffmpeg says what went wrong. Generic on purpose: rendering, concatenating and
 * varying clips all go through `runFfmpeg`.
 */
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/** Enough of stderr to hold ffmpeg's final error lines without keeping a chatty log in memory. */
const STDERR_TAIL_CHARS = 4000;

export interface FfmpegProgress {
  /** Seconds of output written so far (from `out_time_us`, or `out_time_ms`, which is microseconds too). */
  outTimeSeconds?: number;
  frame?: number;
  fps?: number;
  /** Multiple of real time, e.g. 40 for `speed=40x`. */
  speed?: number;
  totalSizeBytes?: number;
  /** True on the last report (`progress=end`). */
  done: boolean;
  /** Every key of the report, for values not surfaced above. */
  raw: Record<string, string>;
}

export interface RunFfmpegOptions {
  /** Kills the child (SIGKILL) and rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (progress: FfmpegProgress) => void;
  /** The binary; `ffmpegPath()` (the bundled build) when omitted. */
  binary?: string;
}

let bundledPath: string | undefined;

/** FFMPEG_PATH when set, else the bundled static build. Throws `ffmpeg_missing` if there is none. */
export function ffmpegPath(config?: Pick<Config, 'FFMPEG_PATH'>): string {
  if (config?.FFMPEG_PATH) return config.FFMPEG_PATH;
  bundledPath ??= loadBundledPath();
  return bundledPath;
}

/** Required lazily: the installer throws (a bare string) at load time when its binary is absent. */
function loadBundledPath(): string {
  try {
    const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string };
    return installer.path;
  } catch (thrown) {
    throw new AppError('ffmpeg_missing', `No ffmpeg: set FFMPEG_PATH or install @ffmpeg-installer/ffmpeg (${String(thrown)})`, { cause: thrown });
  }
}

/** Runs `ffmpeg <args>` to completion. Resolves on exit code 0, rejects with the stderr tail otherwise. */
export function runFfmpeg(args: string[], options: RunFfmpegOptions = {}): Promise<void> {
  const { signal, onProgress } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const binary = options.binary ?? ffmpegPath();
  // -nostdin: a child that reads stdin would stall on an "overwrite?" prompt instead of failing.
  const fullArgs = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', progressReader(onProgress));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', (err) => finish(spawnError(binary, err)));
    child.on('close', (code, killedBy) => {
      if (code === 0) return finish();
      const how = code === null ? `was killed by ${killedBy ?? 'a signal'}` : `exited with code ${code}`;
      const tail = stderr.trim() || '(no output on stderr)';
      finish(new AppError('ffmpeg_failed', `ffmpeg ${how}: ${tail}`, { retryable: false }));
    });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('ffmpeg was aborted', 'AbortError');
}

function spawnError(binary: string, err: Error): AppError {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
  return missing
    ? new AppError('ffmpeg_missing', `ffmpeg not found at ${binary}`, { cause: err })
    : new AppError('ffmpeg_failed', `ffmpeg could not start: ${err.message}`, { cause: err });
}

/** Turns the `key=value` stream into one callback per report; a report ends at its `progress=` line. */
function progressReader(onProgress: ((progress: FfmpegProgress) => void) | undefined): (text: string) => void {
  let pending = '';
  let report: Record<string, string> = {};
  return (text) => {
    if (!onProgress) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq).trim();
      report[key] = line.slice(eq + 1).trim();
      if (key !== 'progress') continue;
      onProgress(parseProgress(report));
      report = {};
    }
  };
}

/** Reads one finished report. Values ffmpeg prints as `N/A` come out as undefined. */
export function parseProgress(raw: Record<string, string>): FfmpegProgress {
  const micros = numberOf(raw.out_time_us) ?? numberOf(raw.out_time_ms);
  const speed = numberOf(raw.speed?.replace(/x$/, ''));
  const progress: FfmpegProgress = { done: raw.progress === 'end', raw };
  if (micros !== undefined) progress.outTimeSeconds = Math.max(0, micros / 1e6);
  assignIfDefined(progress, 'frame', numberOf(raw.frame));
  assignIfDefined(progress, 'fps', numberOf(raw.fps));
  assignIfDefined(progress, 'speed', speed);
  assignIfDefined(progress, 'totalSizeBytes', numberOf(raw.total_size));
  return progress;
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'N/A') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function assignIfDefined<K extends 'frame' | 'fps' | 'speed' | 'totalSizeBytes'>(target: FfmpegProgress, key: K, value: number | undefined): void {
  if (value !== undefined) target[key] = value;
}

const filterCache = new Map<string, Promise<Set<string>>>();

/**
 * The names of the filters a binary was built with (`ffmpeg -filters`), cached per binary.
 * Builds differ: Homebrew's current ffmpeg lacks drawtext, the 2018 bundle lacks xfade.
 */
export function ffmpegFilters(binary: string = ffmpegPath()): Promise<Set<string>> {
  let found = filterCache.get(binary);
  if (!found) {
    found = listFilters(binary);
    filterCache.set(binary, found);
    // A failed probe (a binary installed a moment later) should be retried, not remembered.
    found.catch(() => filterCache.delete(binary));
  }
  return found;
}

function listFilters(binary: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['-hide_banner', '-filters'], { maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(spawnError(binary, err));
      const names = new Set<string>();
      for (const line of stdout.split('\n')) {
        // " T.C drawtext          V->V       Draw text …": three flag columns, the name, the pads.
        const match = /^\s*[A-Z.|]{2,3}\s+(\w+)\s+\S*->\S*/.exec(line);
        if (match?.[1]) names.add(match[1]);
      }
      resolve(names);
    });
  });
}
