/**
 * An in-process HTTP server that answers the way Google's Veo endpoints answer the real
 * `@google/genai` client, for both backends:
 *
 *   Developer API  POST /v1beta/models/{m}:predictLongRunning      → { name: models/{m}/operations/{id} }
 *                  GET  /v1beta/models/{m}/operations/{id}         → { done, response.generateVideoResponse… }
 *                  GET  /v1beta/files/{id}:download?alt=media      → the MP4 (x-goog-api-key required)
 *   Vertex         POST /v1beta1/[projects/{p}/locations/{l}/]publishers/google/models/{m}:predictLongRunning
 *                  POST /v1beta1/…/models/{m}:fetchPredictOperation  { operationName } → inline base64 bytes
 *                  (the project-less form is what express mode, an API key on Vertex, sends)
 *   OAuth          POST /token   a stand-in for oauth2.googleapis.com, for service-account logins
 *
 * Everything is deterministic: operations finish after N polls (or a delay), and random
 * faults come from a seeded PRNG, so a failing run replays exactly.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type VeoRoute = 'create' | 'poll' | 'download' | 'signed' | 'token';

/** One injected misbehaviour: an HTTP error, a delay before answering, or no answer at all. */
export interface VeoFault {
  route?: VeoRoute;
  status?: number;
  delayMs?: number;
  hang?: boolean;
}

export interface VeoChaos {
  seed: number;
  /** Routes the dice are rolled for; the token route is left alone unless named. */
  routes: VeoRoute[];
  p429: number;
  p500: number;
  pSlow: number;
  slowMs: number;
  pHang: number;
}

export interface VeoWireBehavior {
  /** The poll that reports done (1 = the first poll). Ignored when `doneAfterMs` is set. */
  pollsUntilDone: number;
  doneAfterMs?: number;
  outcome: 'video' | 'safety' | 'error' | 'empty';
  safetyReasons: string[];
  errorMessage: string;
  /** Answer every file download with a 500. */
  failDownloads: boolean;
  /** Answer downloads with a 302 to a signed URL on `signedBaseUrl` (default: this server). */
  redirectDownloads: boolean;
  signedBaseUrl?: string;
  contentType: string;
  /** Faults served in order, each once, before the dice are rolled. */
  script: VeoFault[];
  chaos?: VeoChaos;
}

export interface VeoWireOptions extends Partial<VeoWireBehavior> {
  apiKey?: string;
  accessToken?: string;
  /** The bytes served as the video; otherwise `videoSize` bytes are generated as they stream. */
  video?: Buffer;
  videoSize?: number;
  chunkSize?: number;
}

export interface VeoWire {
  url: string;
  /** Requests seen per route, faults included. */
  requests: Record<VeoRoute, number>;
  /** Request bodies of every create, in order, as the SDK put them on the wire. */
  creates: Array<{ backend: 'gemini' | 'vertex'; model: string; body: unknown }>;
  /** Signed-URL downloads that still carried an API key (it must never follow a redirect off-site). */
  keyLeaks: number;
  setBehavior(patch: Partial<VeoWireBehavior>): void;
  close(): Promise<void>;
}

interface Operation {
  name: string;
  backend: 'gemini' | 'vertex';
  createdAt: number;
  polls: number;
  fileId: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};

const MODEL = '[^/:]+';
const VERTEX_MODEL = `((?:projects/[^/]+/locations/[^/]+/)?publishers/google/models/${MODEL})`;
const ROUTES: Array<{ route: VeoRoute; method: string; backend: 'gemini' | 'vertex' | 'none'; pattern: RegExp }> = [
  { route: 'create', method: 'POST', backend: 'gemini', pattern: new RegExp(`^/v1beta/(models/${MODEL}):predictLongRunning$`) },
  { route: 'poll', method: 'GET', backend: 'gemini', pattern: new RegExp(`^/v1beta/(models/${MODEL}/operations/[^/]+)$`) },
  { route: 'download', method: 'GET', backend: 'gemini', pattern: /^\/v1beta\/files\/([^/:]+):download$/ },
  { route: 'create', method: 'POST', backend: 'vertex', pattern: new RegExp(`^/v1beta1/${VERTEX_MODEL}:predictLongRunning$`) },
  { route: 'poll', method: 'POST', backend: 'vertex', pattern: new RegExp(`^/v1beta1/${VERTEX_MODEL}:fetchPredictOperation$`) },
  { route: 'signed', method: 'GET', backend: 'none', pattern: /^\/signed\/([^/]+)$/ },
  { route: 'token', method: 'POST', backend: 'none', pattern: /^\/token$/ },
];

/** mulberry32: tiny, seedable, good enough to pick faults reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message = 'Injected fault'): void {
  sendJson(res, status, { error: { code: status, message, status: STATUS_TEXT[status] ?? 'UNKNOWN' } });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves when the client can take more, or has gone away. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Deterministic filler bytes, the same for every offset on every run. */
function fill(chunk: Buffer, offset: number): void {
  for (let i = 0; i < chunk.length; i++) chunk[i] = (offset + i) % 251;
}

export async function startVeoWire(options: VeoWireOptions = {}): Promise<VeoWire> {
  const apiKey = options.apiKey ?? 'test-api-key';
  const accessToken = options.accessToken ?? 'ya29.test-access-token';
  const videoSize = options.video?.length ?? options.videoSize ?? 64 * 1024;
  const chunkSize = options.chunkSize ?? 64 * 1024;
  let behavior: VeoWireBehavior = {
    pollsUntilDone: 2, outcome: 'video', safetyReasons: ['The video was blocked by a safety filter.'],
    errorMessage: 'Video generation failed.', failDownloads: false, redirectDownloads: false,
    contentType: 'video/mp4', ...options, script: [...(options.script ?? [])],
  };
  let dice = prng(behavior.chaos?.seed ?? 1);
  const operations = new Map<string, Operation>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: Record<VeoRoute, number> = { create: 0, poll: 0, download: 0, signed: 0, token: 0 };
  const wire = { creates: [] as VeoWire['creates'], keyLeaks: 0 };
  let counter = 0;
  let url = '';

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { timers.delete(timer); resolve(); }, ms);
    timers.add(timer);
  });

  function pickFault(route: VeoRoute): VeoFault | undefined {
    const index = behavior.script.findIndex((f) => !f.route || f.route === route);
    if (index >= 0) return behavior.script.splice(index, 1)[0];
    const chaos = behavior.chaos;
    if (!chaos || !chaos.routes.includes(route)) return undefined;
    let roll = dice();
    for (const [p, fault] of [[chaos.p429, { status: 429 }], [chaos.p500, { status: 500 }],
      [chaos.pSlow, { delayMs: chaos.slowMs }], [chaos.pHang, { hang: true }]] as const) {
      if (roll < p) return fault;
      roll -= p;
    }
    return undefined;
  }

  function authorized(req: IncomingMessage, backend: 'gemini' | 'vertex'): number | undefined {
    const key = req.headers['x-goog-api-key'];
    if (key === apiKey) return undefined;
    if (backend === 'vertex' && req.headers.authorization === `Bearer ${accessToken}`) return undefined;
    // Google answers a wrong key with 400 INVALID_ARGUMENT and a missing one with 401/403.
    if (key !== undefined) return 400;
    return backend === 'vertex' ? 401 : 403;
  }

  function operationBody(op: Operation): Record<string, unknown> {
    const done = behavior.doneAfterMs !== undefined
      ? Date.now() - op.createdAt >= behavior.doneAfterMs
      : op.polls >= behavior.pollsUntilDone;
    if (!done) return { name: op.name, metadata: {} };
    if (behavior.outcome === 'error') return { name: op.name, done: true, error: { code: 13, message: behavior.errorMessage } };
    const filtered = behavior.outcome === 'safety'
      ? { raiMediaFilteredCount: 1, raiMediaFilteredReasons: behavior.safetyReasons } : {};
    const withVideo = behavior.outcome === 'video';
    if (op.backend === 'gemini') {
      const samples = withVideo ? { generatedSamples: [{ video: { uri: `${url}/v1beta/files/${op.fileId}:download?alt=media` } }] } : {};
      return { name: op.name, done: true, response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: { ...samples, ...filtered } } };
    }
    const videos = withVideo ? { videos: [{ bytesBase64Encoded: wholeVideo().toString('base64'), mimeType: behavior.contentType }] } : {};
    return { name: op.name, done: true, response: {
      '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse', ...videos, ...filtered } };
  }

  /** Vertex returns the video inline, so it has to exist as one buffer; keep `videoSize` small there. */
  function wholeVideo(): Buffer {
    if (options.video) return options.video;
    const buffer = Buffer.alloc(videoSize);
    fill(buffer, 0);
    return buffer;
  }

  /** Streams the video in chunks, honouring backpressure, without ever holding it whole. */
  async function streamVideo(res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': behavior.contentType, 'content-length': String(videoSize) });
    const chunk = Buffer.alloc(Math.min(chunkSize, videoSize));
    for (let offset = 0; offset < videoSize && !res.destroyed; offset += chunk.length) {
      const piece = options.video
        ? options.video.subarray(offset, offset + chunk.length)
        : (fill(chunk, offset), chunk.subarray(0, Math.min(chunk.length, videoSize - offset)));
      if (!res.write(piece)) await drained(res);
    }
    res.end();
  }

  async function create(req: IncomingMessage, res: ServerResponse, backend: 'gemini' | 'vertex', model: string): Promise<void> {
    const body = JSON.parse(await readBody(req)) as unknown;
    wire.creates.push({ backend, model: model.replace(/^.*models\//, ''), body });
    counter += 1;
    const op: Operation = { name: `${model}/operations/op-${counter}`, backend, createdAt: Date.now(), polls: 0, fileId: `file-${counter}` };
    operations.set(op.name, op);
    sendJson(res, 200, { name: op.name });
  }

  async function poll(req: IncomingMessage, res: ServerResponse, backend: 'gemini' | 'vertex', target: string): Promise<void> {
    const name = backend === 'vertex' ? (JSON.parse(await readBody(req)) as { operationName?: string }).operationName ?? '' : target;
    const op = operations.get(name);
    if (!op || op.backend !== backend || (backend === 'vertex' && !name.startsWith(`${target}/`))) {
      return sendError(res, 404, `Operation ${name} not found.`);
    }
    op.polls += 1;
    sendJson(res, 200, operationBody(op));
  }

  async function download(res: ServerResponse, fileId: string): Promise<void> {
    if (![...operations.values()].some((op) => op.fileId === fileId)) return sendError(res, 404, 'File not found.');
    if (behavior.failDownloads) return sendError(res, 500, 'Download failed.');
    if (!behavior.redirectDownloads) return streamVideo(res);
    const target = `${behavior.signedBaseUrl ?? url}/signed/${fileId}?X-Goog-Signature=deadbeef`;
    res.writeHead(302, { location: target }).end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const hit = ROUTES.map((r) => ({ ...r, match: r.method === req.method ? r.pattern.exec(path) : null })).find((r) => r.match);
    if (!hit?.match) return sendError(res, 404, `No route for ${req.method} ${path}`);
    requests[hit.route] += 1;
    const fault = pickFault(hit.route);
    if (fault?.hang) return; // left open until close() tears the socket down
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status) return sendError(res, fault.status);
    const target = hit.match[1] ?? '';
    if (hit.route === 'token') return sendJson(res, 200, { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' });
    if (hit.route === 'signed') {
      if (req.headers['x-goog-api-key'] !== undefined) wire.keyLeaks += 1;
      return streamVideo(res);
    }
    const backend = hit.backend as 'gemini' | 'vertex';
    const denied = authorized(req, backend);
    if (denied) return sendError(res, denied, denied === 400 ? 'API key not valid. Please pass a valid API key.' : 'Missing credentials.');
    if (hit.route === 'create') return create(req, res, backend, target);
    if (hit.route === 'poll') return poll(req, res, backend, target);
    return download(res, target);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => sendError(res, 500, 'Veo wire double crashed.'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    get creates() { return wire.creates; },
    get keyLeaks() { return wire.keyLeaks; },
    setBehavior(patch) {
      behavior = { ...behavior, ...patch, script: [...(patch.script ?? behavior.script)] };
      if (patch.chaos) dice = prng(patch.chaos.seed);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
