/**
 * An in-process HTTP server answering the way Luma's Dream Machine API answers the real `lumaai`
 * SDK (pass `baseUrl` as the SDK's baseURL):
 *
 *   POST {base}/generations[/video] a video generation request → 201 the Generation, state `queued`
 *                                  (the SDK posts to /generations/video; the REST reference names both)
 *   GET  {base}/generations/{id}   the Generation: queued → dreaming → completed | failed
 *   GET  /assets/{id}.mp4          the finished video (assets.video points here)
 *
 * Errors carry the body the API sends, `{"detail": "..."}`: 401 for a missing or wrong bearer key,
 * 400 for a request it refuses (naming the field, or in Luma's words for the prompt), 404 for an id
 * it does not know. It is as strict as the service: only the models, durations, resolutions and
 * ratios Luma's SDK types list, and the prompt lengths Luma's reference gives.
 *
 * A failed generation's `failure_reason` is one of the strings Luma's reference lists
 * (docs.lumalabs.ai/docs/errors, "After submission"; LUMA_FAILURE_REASONS), word for word: no
 * wording of the double's own, so the adapter is tested against what Luma says. The refusal for
 * want of credits is the exception: the reference gives neither its wording nor its status, so the
 * double answers 400 "Insufficient credits", an assumption the adapter must keep recognising.
 *
 * Like Luma it fetches each keyframe URL itself once the generation is queued (a URL it cannot
 * fetch, or that is not an image, fails the generation with "Failed to read user input frames"),
 * and with `callback_url` it POSTs the whole Generation there on
 * every state change, retrying a non-200 answer three times 100 ms apart with a 5 s timeout
 * (Luma's changelog, "Callbacks & Credits Balance", v1.1.0). With `doneAfterMs` a generation moves
 * on its own clock, as Luma's do; otherwise each get advances it (`pollsUntilDone`). `chaos` rolls
 * seeded faults per prompt, so each scene meets the same ones on every run.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { seededRandom } from '../../lib/random.js';

export type LumaRoute = 'create' | 'get' | 'asset';

export interface LumaChaos {
  seed: number;
  routes: LumaRoute[];
  p429: number;
  p500: number;
  /** Share of generations that end failed by moderation (decided once per prompt; the reason as `moderatedBy`). */
  pModeration?: number;
}

/** A fault served once, in order, on its route (or any route when none is named). */
export interface LumaFault {
  route?: LumaRoute;
  status: number;
  detail?: string;
}

/** A failed generation's `failure_reason`, word for word from Luma's reference (docs.lumalabs.ai/docs/errors). */
export const LUMA_FAILURE_REASONS = {
  // Moderation
  blacklistedWords: 'Contains blacklisted words',
  framesUnreadable: 'Failed to read user input frames',
  frameModeration: 'Frame moderation failed',
  promptModeration: 'Advanced prompt moderation failed',
  // Prompt
  promptProcessing: 'Prompt processing failed',
  // Job
  dispatch: 'Error dispatching job',
  job: 'Job failed',
  callback: 'Error processing callback',
} as const;

/** The reasons a generation fails with that are not moderation's. */
export type LumaJobFailure = (typeof LUMA_FAILURE_REASONS)['promptProcessing' | 'dispatch' | 'job' | 'callback'];

export interface LumaWireBehavior {
  /** The poll that reports completed (1 = the first get). Earlier polls say queued, then dreaming. */
  pollsUntilDone: number;
  /** `moderation`: refused by Luma's moderation (see `moderatedBy`); `failed`: failed with `failureReason`. */
  outcome: 'video' | 'moderation' | 'failed';
  /**
   * Which of Luma's checks refuses a generation: its word list, its language moderation of the
   * prompt, or its image moderation of a keyframe. Unset, the keyframe's when the generation has an
   * image keyframe, else the prompt's; one without an image keyframe is never refused on a frame.
   */
  moderatedBy?: 'words' | 'prompt' | 'frame';
  failureReason: LumaJobFailure;
  /** Refuse new generations as Luma does when the account has no credits left. */
  outOfCredits: boolean;
  script: LumaFault[];
  /** Generations finish this long after creation, whatever the polls (Luma's own clock). */
  doneAfterMs?: number;
  /** Each generation finishes after its own delay in [min, max] ms (seeded by its prompt); overrides doneAfterMs. */
  doneAfterMsRange?: [number, number];
  chaos?: LumaChaos;
}

export interface LumaCallbackDelivery {
  url: string;
  state: string;
  status: number | 'error';
}

export interface LumaWire {
  /** The SDK's baseURL: `http://127.0.0.1:{port}/dream-machine/v1`. */
  baseUrl: string;
  origin: string;
  apiKey: string;
  behavior: LumaWireBehavior;
  /** Every create body accepted, in order. */
  creates: Array<Record<string, unknown>>;
  /** Requests per route, faults included. */
  requests: Record<LumaRoute, number>;
  /** Each keyframe URL fetched, and the status it answered. */
  keyframeFetches: Array<{ url: string; status: number | 'error' }>;
  /** Each callback POST made, and what it got back. */
  callbacks: LumaCallbackDelivery[];
  /** Change how new requests are answered. */
  setBehavior(patch: Partial<LumaWireBehavior>): void;
  /** When a generation was created and when it finished, for latency figures. */
  timing(id: string): { createdAt: number; doneAt?: number } | undefined;
  /** Forget a generation, as Luma does once it expires: its get answers 404. */
  forget(id: string): void;
  close(): Promise<void>;
}

const MODELS = ['ray-2', 'ray-flash-2'];
const DURATIONS = ['5s', '9s'];
const RESOLUTIONS = ['540p', '720p', '1080p', '4k'];
const RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'];
/** A few bytes with an MP4 `ftyp` box: enough for a content sniff; `video` serves a real MP4 instead. */
export const LUMA_VIDEO_BYTES = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');

interface Stored {
  generation: Record<string, unknown>;
  polls: number;
  createdAt: number;
  /** When it reached completed or failed (Date.now()). */
  doneAt?: number;
  /** Set once a keyframe could not be fetched or was not an image: the generation fails with it. */
  keyframeUnreadable?: boolean;
  /** Fixed at creation from the chaos dice. */
  fate: 'video' | 'moderation';
}

function hashDice(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return seededRandom(h >>> 0)();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function hasImageKeyframe(request: { keyframes?: Record<string, { type?: string }> }): boolean {
  return Object.values(request.keyframes ?? {}).some((f) => f?.type === 'image');
}

function refusal(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'Request body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || !MODELS.includes(b.model)) return `model: must be one of ${MODELS.join(', ')}`;
  if (b.prompt !== undefined && typeof b.prompt !== 'string') return 'prompt: must be a string';
  if (b.duration !== undefined && !DURATIONS.includes(b.duration as string)) return `duration: must be one of ${DURATIONS.join(', ')}`;
  if (b.resolution !== undefined && !RESOLUTIONS.includes(b.resolution as string)) return `resolution: must be one of ${RESOLUTIONS.join(', ')}`;
  if (b.aspect_ratio !== undefined && !RATIOS.includes(b.aspect_ratio as string)) return `aspect_ratio: must be one of ${RATIOS.join(', ')}`;
  if (b.callback_url !== undefined && (typeof b.callback_url !== 'string' || !URL.canParse(b.callback_url))) return 'callback_url: must be a URL';
  if (b.keyframes !== undefined) {
    if (typeof b.keyframes !== 'object' || b.keyframes === null) return 'keyframes: must be an object';
    for (const [name, frame] of Object.entries(b.keyframes as Record<string, unknown>)) {
      if (name !== 'frame0' && name !== 'frame1') return `keyframes: unknown key ${name}`;
      const f = frame as { type?: unknown; url?: unknown; id?: unknown };
      const ok = (f?.type === 'image' && typeof f.url === 'string' && URL.canParse(f.url)) || (f?.type === 'generation' && typeof f.id === 'string');
      if (!ok) return `keyframes.${name}: must be {type: 'image', url} or {type: 'generation', id}`;
    }
  }
  // Luma's own words (docs.lumalabs.ai/docs/errors, "Before submission").
  const prompt = (b.prompt as string | undefined) ?? '';
  if (!prompt && !hasImageKeyframe(b as { keyframes?: Record<string, { type?: string }> })) return 'Prompt is required';
  if (prompt && prompt.length < 3) return 'Prompt is too short, minimum length is 3 characters';
  if (prompt.length > 5000) return 'Prompt is too long, maximum length is 5000 characters';
  return undefined;
}

export async function startLumaWire(options: Partial<LumaWireBehavior> & { apiKey?: string; video?: Buffer } = {}): Promise<LumaWire> {
  const apiKey = options.apiKey ?? 'luma-test-key';
  const behavior: LumaWireBehavior = {
    pollsUntilDone: options.pollsUntilDone ?? 2,
    outcome: options.outcome ?? 'video',
    ...(options.moderatedBy ? { moderatedBy: options.moderatedBy } : {}),
    failureReason: options.failureReason ?? LUMA_FAILURE_REASONS.job,
    outOfCredits: options.outOfCredits ?? false,
    script: [...(options.script ?? [])],
    ...(options.doneAfterMs !== undefined ? { doneAfterMs: options.doneAfterMs } : {}),
    ...(options.doneAfterMsRange ? { doneAfterMsRange: options.doneAfterMsRange } : {}),
    ...(options.chaos ? { chaos: options.chaos } : {}),
  };
  const video = options.video ?? LUMA_VIDEO_BYTES;
  const store = new Map<string, Stored>();
  const creates: Array<Record<string, unknown>> = [];
  const requests: Record<LumaRoute, number> = { create: 0, get: 0, asset: 0 };
  const keyframeFetches: LumaWire['keyframeFetches'] = [];
  const callbacks: LumaCallbackDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const rolls = new Map<string, number>();
  let origin = '';

  /** The n-th request of one prompt on one route gets the same roll on every run. */
  function chaosFault(route: LumaRoute, key: string | undefined): number | undefined {
    const chaos = behavior.chaos;
    if (!chaos || !chaos.routes.includes(route) || key === undefined) return undefined;
    const n = (rolls.get(`${route}:${key}`) ?? 0) + 1;
    rolls.set(`${route}:${key}`, n);
    const roll = hashDice(`${chaos.seed}:${route}:${key}:${n}`);
    if (roll < chaos.p429) return 429;
    if (roll < chaos.p429 + chaos.p500) return 500;
    return undefined;
  }

  /** Luma POSTs the Generation on each change, and retries a non-200 answer 3 times, 100 ms apart. */
  async function announce(g: Record<string, unknown>): Promise<void> {
    const url = (g.request as { callback_url?: string } | undefined)?.callback_url;
    if (!url) return;
    const body = JSON.stringify(g);
    for (let attempt = 0; attempt < 4; attempt++) {
      let status: number | 'error';
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
        await res.body?.cancel();
        status = res.status;
      } catch {
        status = 'error';
      }
      callbacks.push({ url, state: String(g.state), status });
      if (status === 200) return;
      await sleep(100);
    }
  }

  function finish(id: string, stored: Stored): void {
    const g = stored.generation;
    if (g.state === 'completed' || g.state === 'failed') return;
    stored.doneAt = Date.now();
    if (stored.keyframeUnreadable) {
      g.state = 'failed';
      g.failure_reason = LUMA_FAILURE_REASONS.framesUnreadable;
    } else if (behavior.outcome === 'video' && stored.fate === 'video') {
      g.state = 'completed';
      g.assets = { video: `${origin}/assets/${id}.mp4`, image: `${origin}/assets/${id}.jpg` };
    } else {
      g.state = 'failed';
      g.failure_reason = behavior.outcome === 'failed' ? behavior.failureReason : moderationReason(g.request as { keyframes?: Record<string, { type?: string }> });
    }
    void announce({ ...g });
  }

  function moderationReason(request: { keyframes?: Record<string, { type?: string }> }): string {
    const frame = hasImageKeyframe(request);
    const by = behavior.moderatedBy ?? (frame ? 'frame' : 'prompt');
    if (by === 'words') return LUMA_FAILURE_REASONS.blacklistedWords;
    return by === 'frame' && frame ? LUMA_FAILURE_REASONS.frameModeration : LUMA_FAILURE_REASONS.promptModeration;
  }

  /** Luma fetches keyframes itself while the generation waits; one it cannot fetch fails it. */
  async function fetchKeyframes(stored: Stored): Promise<void> {
    const frames = (stored.generation.request as { keyframes?: Record<string, { type: string; url?: string }> }).keyframes ?? {};
    for (const frame of Object.values(frames)) {
      if (frame.type !== 'image' || !frame.url) continue;
      let status: number | 'error';
      try {
        const res = await fetch(frame.url, { signal: AbortSignal.timeout(5000) });
        const type = res.headers.get('content-type') ?? '';
        await res.arrayBuffer();
        status = res.status;
        if (!type.startsWith('image/')) stored.keyframeUnreadable = true;
      } catch {
        status = 'error';
      }
      keyframeFetches.push({ url: frame.url, status });
      if (status !== 200) stored.keyframeUnreadable = true;
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { detail: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const asset = /^\/assets\/([\w-]+)\.mp4$/.exec(url.pathname);
    const route: LumaRoute | undefined = asset
      ? 'asset'
      : /^\/dream-machine\/v1\/generations(\/video)?$/.test(url.pathname) && req.method === 'POST'
        ? 'create'
        : /^\/dream-machine\/v1\/generations\/[^/]+$/.test(url.pathname) && req.method === 'GET'
          ? 'get'
          : undefined;
    if (!route) return send(res, 404, { detail: 'Not Found' });
    requests[route] += 1;

    const faultAt = behavior.script.findIndex((f) => f.route === undefined || f.route === route);
    if (faultAt >= 0) {
      const [fault] = behavior.script.splice(faultAt, 1);
      return send(res, fault!.status, { detail: fault!.detail ?? `Injected ${fault!.status}` });
    }

    if (asset) {
      if (!store.has(asset[1]!)) return send(res, 404, { detail: 'Not Found' });
      const fault = chaosFault('asset', (store.get(asset[1]!)!.generation.request as { prompt?: string }).prompt);
      if (fault) return send(res, fault, { detail: fault === 429 ? 'Too Many Requests' : 'Internal Server Error' });
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(video.length) });
      return void res.end(video);
    }
    // Luma checks the key before anything else.
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(res, 401, { detail: 'Invalid API key' });

    if (route === 'create') {
      const body = await readJson(req);
      const problem = refusal(body);
      if (problem) return send(res, 400, { detail: problem });
      const b = body as Record<string, unknown>;
      const prompt = typeof b.prompt === 'string' ? b.prompt : '';
      const fault = chaosFault('create', prompt);
      if (fault) return send(res, fault, { detail: fault === 429 ? 'Too Many Requests' : 'Internal Server Error' });
      if (behavior.outOfCredits) return send(res, 400, { detail: 'Insufficient credits' });
      creates.push(b);
      const id = randomUUID();
      const generation = {
        id,
        generation_type: 'video',
        state: 'queued',
        failure_reason: null,
        created_at: new Date().toISOString(),
        assets: null,
        model: b.model,
        request: { generation_type: 'video', ...b },
      };
      const moderated = behavior.chaos?.pModeration && hashDice(`${behavior.chaos.seed}:fate:${prompt}`) < behavior.chaos.pModeration;
      const stored: Stored = { generation, polls: 0, createdAt: Date.now(), fate: moderated ? 'moderation' : 'video' };
      store.set(id, stored);
      void fetchKeyframes(stored);
      const range = behavior.doneAfterMsRange;
      const after = range ? range[0] + Math.floor(hashDice(`delay:${prompt}`) * (range[1] - range[0])) : behavior.doneAfterMs;
      if (after !== undefined) {
        const started = setTimeout(() => {
          timers.delete(started);
          if (generation.state !== 'queued') return;
          generation.state = 'dreaming';
          void announce({ ...generation });
        }, Math.floor(after / 2));
        const done = setTimeout(() => {
          timers.delete(done);
          if (store.has(id)) finish(id, stored);
        }, after);
        timers.add(started).add(done);
      }
      return send(res, 201, generation);
    }

    const id = decodeURIComponent(url.pathname.split('/').pop()!);
    const stored = store.get(id);
    if (!stored) return send(res, 404, { detail: 'Generation not found' });
    const fault = chaosFault('get', (stored.generation.request as { prompt?: string }).prompt);
    if (fault) return send(res, fault, { detail: fault === 429 ? 'Too Many Requests' : 'Internal Server Error' });
    stored.polls += 1;
    const g = stored.generation;
    if ((g.state === 'queued' || g.state === 'dreaming') && behavior.doneAfterMs === undefined && behavior.doneAfterMsRange === undefined) {
      if (stored.polls >= behavior.pollsUntilDone) finish(id, stored);
      else if (g.state === 'queued') {
        g.state = 'dreaming';
        void announce({ ...g });
      }
    }
    return send(res, 200, g);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}/dream-machine/v1`,
    origin,
    apiKey,
    behavior,
    creates,
    requests,
    keyframeFetches,
    callbacks,
    setBehavior(patch) {
      Object.assign(behavior, patch, patch.script ? { script: [...patch.script] } : {});
    },
    timing: (id) => {
      const stored = store.get(id);
      return stored && { createdAt: stored.createdAt, ...(stored.doneAt !== undefined ? { doneAt: stored.doneAt } : {}) };
    },
    forget: (id) => void store.delete(id),
    close: () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections?.();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
