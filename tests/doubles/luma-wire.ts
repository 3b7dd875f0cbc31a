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
 * 400 for a request it refuses (naming the field), 404 for an id it does not know. It is as strict
 * as the service: only the models, durations, resolutions and ratios Luma's SDK types list.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LumaRoute = 'create' | 'get' | 'asset';

/** A fault served once, in order, on its route (or any route when none is named). */
export interface LumaFault {
  route?: LumaRoute;
  status: number;
  detail?: string;
}

export interface LumaWireBehavior {
  /** The poll that reports completed (1 = the first get). Earlier polls say queued, then dreaming. */
  pollsUntilDone: number;
  /** `moderation`: failed with a content-policy reason; `failed`: another failure reason. */
  outcome: 'video' | 'moderation' | 'failed';
  failureReason: string;
  /** Refuse new generations as Luma does when the account has no credits left. */
  outOfCredits: boolean;
  script: LumaFault[];
}

export interface LumaWire {
  /** The SDK's baseURL: `http://127.0.0.1:{port}/dream-machine/v1`. */
  baseUrl: string;
  origin: string;
  apiKey: string;
  behavior: LumaWireBehavior;
  /** Every create body accepted, in order. */
  creates: Array<Record<string, unknown>>;
  /** Forget a generation, as Luma does once it expires: its get answers 404. */
  forget(id: string): void;
  close(): Promise<void>;
}

const MODELS = ['ray-2', 'ray-flash-2'];
const DURATIONS = ['5s', '9s'];
const RESOLUTIONS = ['540p', '720p', '1080p', '4k'];
const RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'];
/** A few bytes with an MP4 `ftyp` box: enough for a content sniff, never decoded by these tests. */
export const LUMA_VIDEO_BYTES = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');

interface Stored {
  generation: Record<string, unknown>;
  polls: number;
}

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
  return undefined;
}

export async function startLumaWire(options: Partial<LumaWireBehavior> & { apiKey?: string } = {}): Promise<LumaWire> {
  const apiKey = options.apiKey ?? 'luma-test-key';
  const behavior: LumaWireBehavior = {
    pollsUntilDone: options.pollsUntilDone ?? 2,
    outcome: options.outcome ?? 'video',
    failureReason: options.failureReason ?? 'Prompt not allowed because it contains content that violates our moderation policy',
    outOfCredits: options.outOfCredits ?? false,
    script: [...(options.script ?? [])],
  };
  const store = new Map<string, Stored>();
  const creates: Array<Record<string, unknown>> = [];
  let origin = '';

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

    const faultAt = behavior.script.findIndex((f) => f.route === undefined || f.route === route);
    if (faultAt >= 0) {
      const [fault] = behavior.script.splice(faultAt, 1);
      return send(res, fault!.status, { detail: fault!.detail ?? `Injected ${fault!.status}` });
    }

    if (asset) {
      if (!store.has(asset[1]!)) return send(res, 404, { detail: 'Not Found' });
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(LUMA_VIDEO_BYTES.length) });
      return void res.end(LUMA_VIDEO_BYTES);
    }
    // Luma checks the key before anything else.
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(res, 401, { detail: 'Invalid API key' });

    if (route === 'create') {
      const body = await readJson(req);
      const problem = refusal(body);
      if (problem) return send(res, 400, { detail: problem });
      if (behavior.outOfCredits) return send(res, 400, { detail: 'Insufficient credits' });
      const b = body as Record<string, unknown>;
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
      store.set(id, { generation, polls: 0 });
      return send(res, 201, generation);
    }

    const id = decodeURIComponent(url.pathname.split('/').pop()!);
    const stored = store.get(id);
    if (!stored) return send(res, 404, { detail: 'Generation not found' });
    stored.polls += 1;
    const g = stored.generation;
    if (g.state === 'queued' || g.state === 'dreaming') {
      if (stored.polls >= behavior.pollsUntilDone) {
        if (behavior.outcome === 'video') {
          g.state = 'completed';
          g.assets = { video: `${origin}/assets/${id}.mp4`, image: `${origin}/assets/${id}.jpg` };
        } else {
          g.state = 'failed';
          g.failure_reason = behavior.outcome === 'moderation' ? behavior.failureReason : 'Generation failed due to an internal error';
        }
      } else {
        g.state = 'dreaming';
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
    forget: (id) => void store.delete(id),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
