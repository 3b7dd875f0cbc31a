/**
 * The local server over real HTTP: a request refused before its body is read (413 past 64 KB,
 * 401, 415) reaches a client that sends the whole body as the JSON error, never a reset, and the
 * keep-alive connection carries the next request.
 */
import net, { type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../lib/http/body.js';
import { errorResponse, httpError, json } from '../lib/http/respond.js';
import { createBackgroundWork } from '../lib/local/background.js';
import { createLocalServer } from '../lib/local/server.js';

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createLocalServer({
    origin: 'http://127.0.0.1',
    routes: [
      async (req) => {
        const path = new URL(req.url).pathname;
        if (path === '/unauthorized') return errorResponse(httpError(401, 'unauthorized', 'No token'));
        if (path === '/read') {
          try {
            return json({ ok: await readJsonBody(req) });
          } catch (err) {
            return errorResponse(err);
          }
        }
        return undefined;
      },
    ],
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a refused request with a body', () => {
  it('always reaches the client as the JSON error, and the connection carries the next request', { timeout: 120_000 }, async () => {
    const big = JSON.stringify({ response: 'a'.repeat(300_000) });
    const cases: Array<[string, Record<string, string>, number]> = [
      ['/read', { 'content-type': 'application/json' }, 413],
      ['/unauthorized', { 'content-type': 'application/json' }, 401],
      ['/read', { 'content-type': 'text/plain' }, 415],
    ];
    try {
      for (let i = 0; i < 40; i++) {
        const [path, headers, status] = cases[i % cases.length]!;
        // Chunked, so no Content-Length lets the handler refuse before the body arrives.
        const bytes = new TextEncoder().encode(big);
        let at = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (at >= bytes.length) return controller.close();
            controller.enqueue(bytes.subarray(at, (at += 16_384)));
          },
        });
        const res = await fetch(`${origin}${path}`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
        expect(res.status, `try ${i}`).toBe(status);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
        const next = await fetch(`${origin}/read`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
        expect(next.status, `next after try ${i}`).toBe(200);
        await next.json();
      }
    } finally {
      // nothing to close: the global dispatcher's keep-alive pool is what is under test
    }
  });
});

describe('shutdown with a GET in flight (a poll over HTTP)', () => {
  it("aborts the handler's signal, waits for its answer, and only then resolves", { timeout: 30_000 }, async () => {
    const background = createBackgroundWork();
    const steps: string[] = [];
    const slow = createLocalServer({
      origin: 'http://127.0.0.1',
      background,
      routes: [
        async (req) => {
          steps.push('tick started');
          await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
          await new Promise((resolve) => setTimeout(resolve, 50));
          steps.push('leases released');
          return json({ aborted: true });
        },
      ],
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const answer = fetch(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/api/video/poll`);
      while (!steps.includes('tick started')) await new Promise((resolve) => setTimeout(resolve, 10));
      await background.shutdown();
      steps.push('pool may close');
      const res = await answer;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ aborted: true });
      expect(steps).toEqual(['tick started', 'leases released', 'pool may close']);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});

describe('a client that goes away before its answer', () => {
  it('does not leave its request running: the answer is dropped and shutdown does not wait on it', { timeout: 30_000 }, async () => {
    const background = createBackgroundWork();
    let answered = false;
    const server2 = createLocalServer({
      origin: 'http://127.0.0.1',
      background,
      routes: [
        async () => {
          // The answer is ready only after the client has hung up (a page aborting its poll).
          await new Promise((resolve) => setTimeout(resolve, 300));
          answered = true;
          return json({ jobs: [] });
        },
      ],
    });
    await new Promise<void>((resolve) => server2.listen(0, '127.0.0.1', resolve));
    try {
      const socket = net.connect((server2.address() as AddressInfo).port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /api/video/jobs HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      while (!answered) await new Promise((resolve) => setTimeout(resolve, 10));
      const done = await Promise.race([background.shutdown().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000))]);
      expect(done).toBe('stopped');
    } finally {
      server2.closeAllConnections();
      await new Promise<void>((resolve) => server2.close(() => resolve()));
    }
  });
});

describe('requests node:http refuses before any handler runs', () => {
  async function raw(text: string): Promise<string> {
    const { connect } = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(origin).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.write(text);
    });
  }

  it('headers over the limit → 431 in the JSON error shape', async () => {
    const answer = await raw(`GET /x HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'headers_too_large' } });
  });

  it('a Content-Length that lies (bytes left over that are not a request) → 400 in the JSON error shape', async () => {
    const answer = await raw(`POST /read HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}garbage that is no request line\r\n\r\n`);
    const last = answer.slice(answer.lastIndexOf('HTTP/1.1 '));
    expect(last).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(last.slice(last.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'bad_request' } });
  });
});
