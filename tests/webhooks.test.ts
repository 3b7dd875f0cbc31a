/**
 * Webhooks end to end: a real HTTP receiver on 127.0.0.1 (loopback is allowed outside
 * production), real ticks, real Postgres. The receiver checks each signature with node:crypto on
 * its own, so the test does not trust the code it tests to verify itself.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { loadConfig } from '../lib/config.js';
import { jobViewSchema } from '../lib/jobs/schemas.js';
import { runTick } from '../lib/tick/run-tick.js';
import { deliverWebhooks } from '../lib/tick/deliver-webhooks.js';
import { signWebhook, verifyWebhookSignature } from '../lib/webhooks/sign.js';
import { postWebhook, type Resolve } from '../lib/webhooks/post.js';
import { webhookUrlProblem } from '../lib/webhooks/url.js';
import { createTestApp, type TestApp } from './support/app.js';
import { testClock, tickUntilFinal } from './support/ticks.js';

const SECRET = 'whsec-test-secret-0123456789-abcdefghijkl';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  validSignature: boolean;
}

let app: TestApp;
let server: Server;
let url: string;
const received: Received[] = [];
/** What the receiver answers next (in order); 204 once the list is empty. 'hang' never answers. */
let replies: Array<number | 'hang'> = [];
/** TCP connections the receiver accepted: a refused address must not even connect. */
let connections = 0;

function independentlyValid(req: IncomingMessage, body: string): boolean {
  const ts = String(req.headers['x-webhook-timestamp']);
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
  return req.headers['x-webhook-signature'] === expected && Math.abs(Date.now() / 1000 - Number(ts)) < 60;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, validSignature: independentlyValid(req, body) });
      const reply = replies.shift() ?? 204;
      if (reply === 'hang') return;
      res.writeHead(reply).end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/video`;
  app = await createTestApp('webhooks', { WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT_MS: '300', QUOTA_ACTIVE_JOBS: '0', QUOTA_JOBS_PER_HOUR: '0' });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
});
beforeEach(() => {
  received.length = 0;
  replies = [];
  connections = 0;
});

async function createWithHook(response = 'One scene about webhooks.'): Promise<string> {
  const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response, webhookUrl: url } });
  expect(res.status).toBe(202);
  return res.json.jobId;
}

async function deliveries(jobId: string) {
  const { rows } = await app.database.db.query(`select * from webhook_deliveries where job_id = $1 order by created_at`, [jobId]);
  return rows;
}

describe('signing', () => {
  it('is HMAC-SHA256 over `${timestamp}.${body}`, and verification refuses tampering and stale timestamps', () => {
    const body = '{"id":"x"}';
    const sig = signWebhook(SECRET, 1_700_000_000, body);
    expect(sig).toBe(`sha256=${createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex')}`);
    const now = new Date(1_700_000_100_000);
    expect(verifyWebhookSignature(SECRET, { signature: sig, timestamp: '1700000000' }, body, { now })).toBe(true);
    expect(verifyWebhookSignature(SECRET, { signature: sig, timestamp: '1700000000' }, `${body} `, { now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, { signature: sig, timestamp: '1700000001' }, body, { now })).toBe(false);
    expect(verifyWebhookSignature(`${SECRET}x`, { signature: sig, timestamp: '1700000000' }, body, { now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, { signature: sig, timestamp: '1700000000' }, body, { now: new Date(1_700_001_000_000) })).toBe(false);
    expect(verifyWebhookSignature(SECRET, { signature: null, timestamp: '1700000000' }, body, { now })).toBe(false);
  });

  it('URLs: https anywhere public; http only to loopback, and never in production', () => {
    expect(webhookUrlProblem('https://example.com/h', true)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:9/h', false)).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:9/h', false)).toBeUndefined();
    expect(webhookUrlProblem('http://localhost/h', false)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:9/h', true)).toMatch(/https/);
    expect(webhookUrlProblem('https://127.0.0.1/h', true)).toMatch(/private|loopback/);
    expect(webhookUrlProblem('https://10.1.2.3/h', true)).toMatch(/private/);
    expect(webhookUrlProblem('http://example.com/h', false)).toMatch(/https/);
    expect(webhookUrlProblem('https://u:p@example.com/h', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('javascript:alert(1)', false)).toMatch(/https/);
    expect(webhookUrlProblem('nope', false)).toMatch(/absolute/);
  });

  it('production refuses every literal address of its own network, IPv6 and IPv4-mapped forms included', () => {
    const own = ['169.254.169.254', '100.64.0.1', '172.31.255.255', '192.168.1.1', '0.0.0.0', '224.0.0.1', '[::1]', '[::]', '[fd00::1]', '[fe80::1]', '[::ffff:10.0.0.1]', '[::ffff:a9fe:a9fe]', '[64:ff9b::a00:1]'];
    for (const host of own) expect(webhookUrlProblem(`https://${host}/h`, true), host).toMatch(/private/);
    for (const host of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '[2606:4700::1111]', '[::ffff:8.8.8.8]']) {
      expect(webhookUrlProblem(`https://${host}/h`, true), host).toBeUndefined();
    }
  });
});

describe("the receiver's address, resolved at delivery (a resolver double stands in for DNS)", () => {
  const port = () => (server.address() as AddressInfo).port;
  const resolvingTo = (...addresses: string[]): Resolve => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const post = (target: string, refusePrivate: boolean, resolve: Resolve) =>
    postWebhook({ url: target, headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(2_000), refusePrivate, resolve });

  it('in production a name resolving into our own network is refused before any connection; any private answer is enough', async () => {
    await expect(post(`https://hooks.example.test:${port()}/v`, true, resolvingTo('127.0.0.1'))).rejects.toThrow(/hooks\.example\.test resolves to 127\.0\.0\.1/);
    await expect(post(`https://hooks.example.test:${port()}/v`, true, resolvingTo('93.184.215.14', '10.0.0.8'))).rejects.toThrow(/resolves to 10\.0\.0\.8/);
    await expect(post(`https://hooks.example.test:${port()}/v`, true, resolvingTo('::ffff:169.254.169.254'))).rejects.toThrow(/private/);
    const never: Resolve = async () => { throw new Error('a literal address must not be resolved'); };
    await expect(post(`https://10.1.2.3:${port()}/v`, true, never)).rejects.toThrow(/10\.1\.2\.3 resolves to 10\.1\.2\.3/);
    expect(connections).toBe(0);
  });

  it('the connection goes to the address that was resolved and checked, not to a second lookup', async () => {
    // No DNS knows hooks.example.test: reaching the receiver proves the resolved address was used.
    const status = await post(`http://hooks.example.test:${port()}/v`, false, resolvingTo('127.0.0.1'));
    expect(status).toBe(204);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.host).toBe(`hooks.example.test:${port()}`);
  });

  it('a production tick records the refusal on the delivery and retries it later; an http URL from another configuration fails for good', async () => {
    const named = await createWithHook('Rebinding attempt.');
    const plain = await createWithHook('Written under development rules.');
    for (const id of [named, plain]) await app.call(cancel, 'POST', `/api/video/jobs/${id}/cancel?id=${id}`);
    await app.database.db.query(`update webhook_deliveries set url = $2 where job_id = $1`, [named, `https://hooks.example.test:${port()}/hooks/video`]);
    // Production needs the real services named; none is reached here (the jobs were canceled before any output).
    const production = app.reconfigure({ VERCEL_ENV: 'production', DATABASE_URL: app.database.url, SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_unused', GEMINI_API_KEY: 'unused' });
    try {
      const clock = testClock(Date.now() + 1000);
      const result = await deliverWebhooks(production, { tickId: 'prod', now: clock.now, deadline: Date.now() + 10_000, signal: new AbortController().signal, resolve: resolvingTo('127.0.0.1') });
      expect(result).toEqual({ delivered: 0, retried: 1, failed: 1 });
    } finally {
      app.reconfigure();
    }
    expect(await deliveries(named)).toMatchObject([{ status: 'pending', attempts: 1, last_status: null, last_error: expect.stringMatching(/resolves to 127\.0\.0\.1/) }]);
    expect(await deliveries(plain)).toMatchObject([{ status: 'failed', attempts: 1, last_error: 'webhook URL must use https' }]);
    expect(connections).toBe(0);
    expect(received).toHaveLength(0);
    // Settled, so later ticks in this file do not look the made-up host up in the machine's DNS.
    await app.database.db.query(`update webhook_deliveries set status = 'failed' where job_id = $1`, [named]);
  });
});

describe('delivery from the tick', () => {
  it('a completed job is POSTed once, signed, with the job JSON', async () => {
    const jobId = await createWithHook();
    const clock = testClock();
    await tickUntilFinal(app.services, jobId, clock);
    expect(await deliveries(jobId)).toMatchObject([{ event: 'job.completed', status: 'pending', attempts: 0 }]);
    await runTick(app.services, { now: clock.now, linger: false });
    expect(received).toHaveLength(1);
    const [hit] = received;
    expect(hit!.validSignature).toBe(true);
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers['x-webhook-event']).toBe('job.completed');
    const job = jobViewSchema.parse(JSON.parse(hit!.body));
    expect(job).toMatchObject({ id: jobId, status: 'completed', progress: 100 });
    const [row] = await deliveries(jobId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_status: 204, locked_by: null });
    expect(hit!.headers['x-webhook-id']).toBe(row.id);
    await runTick(app.services, { now: clock.now, linger: false });
    expect(received).toHaveLength(1);
  });

  it('a failing receiver is retried with backoff, not before it is due; 2xx ends it', async () => {
    const jobId = await createWithHook('Retry me until the receiver is back.');
    const clock = testClock();
    await tickUntilFinal(app.services, jobId, clock);
    replies = [500, 503];
    await runTick(app.services, { now: clock.now, linger: false });
    let [row] = await deliveries(jobId);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: 500 });
    const wait = row.next_attempt_at.getTime() - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(15_000);
    expect(wait).toBeLessThanOrEqual(30_000);
    await runTick(app.services, { now: clock.now, linger: false });
    expect(received).toHaveLength(1);
    clock.advance(31_000);
    await runTick(app.services, { now: clock.now, linger: false });
    [row] = await deliveries(jobId);
    expect(row).toMatchObject({ status: 'pending', attempts: 2, last_status: 503 });
    expect(row.next_attempt_at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(30_000);
    clock.advance(61_000);
    await runTick(app.services, { now: clock.now, linger: false });
    [row] = await deliveries(jobId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(received.map((r) => r.headers['x-webhook-id'])).toEqual([row.id, row.id, row.id]);
    expect(received.every((r) => r.validSignature)).toBe(true);
  });

  it('410 Gone stops at once; WEBHOOK_MAX_ATTEMPTS stops at last', async () => {
    const gone = await createWithHook('Gone receiver.');
    const clock = testClock();
    await tickUntilFinal(app.services, gone, clock);
    replies = [410];
    await runTick(app.services, { now: clock.now, linger: false });
    expect(await deliveries(gone)).toMatchObject([{ status: 'failed', attempts: 1, last_status: 410 }]);

    app.reconfigure({ WEBHOOK_MAX_ATTEMPTS: '2' });
    const flaky = await createWithHook('Always failing receiver.');
    await tickUntilFinal(app.services, flaky, clock);
    replies = [500, 500, 500];
    await runTick(app.services, { now: clock.now, linger: false });
    clock.advance(3_600_000);
    await runTick(app.services, { now: clock.now, linger: false });
    clock.advance(3_600_000);
    await runTick(app.services, { now: clock.now, linger: false });
    expect(await deliveries(flaky)).toMatchObject([{ status: 'failed', attempts: 2, last_status: 500 }]);
    expect(received).toHaveLength(3);
    app.reconfigure();
  });

  it('cancel enqueues job.canceled; a failed job retried and failed again notifies twice', async () => {
    const canceled = await createWithHook('Cancel me.');
    await app.call(cancel, 'POST', `/api/video/jobs/${canceled}/cancel?id=${canceled}`);
    await app.call(cancel, 'POST', `/api/video/jobs/${canceled}/cancel?id=${canceled}`);
    expect((await deliveries(canceled)).map((d) => d.event)).toEqual(['job.canceled']);
    await runTick(app.services, { linger: false });
    expect(received.map((r) => [r.headers['x-webhook-event'], JSON.parse(r.body).status])).toEqual([['job.canceled', 'canceled']]);

    const blocked = await createWithHook('Everything here is [[blocked]] by the stand-in.');
    const clock = testClock();
    await tickUntilFinal(app.services, blocked, clock);
    const again = await app.call(retry, 'POST', `/api/video/jobs/${blocked}/retry?id=${blocked}`);
    expect(again.status).toBe(202);
    await tickUntilFinal(app.services, blocked, clock);
    expect((await deliveries(blocked)).map((d) => d.event)).toEqual(['job.failed', 'job.failed']);
  });

  /** Delivers what is due at `now`, as one tick's webhook step would. */
  const deliverAt = (tickId: string, now: () => Date) =>
    deliverWebhooks(app.services, { tickId, now, deadline: Date.now() + 10_000, signal: new AbortController().signal });

  /**
   * A job that failed, whose job.failed the receiver refused once (it is pending, backing off),
   * and which has then been retried. The receiver refuses everything until the retry, whichever
   * tick first tries the delivery.
   */
  async function retriedWithEventUndelivered(response: string): Promise<{ jobId: string; clock: ReturnType<typeof testClock> }> {
    const jobId = await createWithHook(response);
    const clock = testClock();
    replies = Array.from({ length: 20 }, () => 500);
    await tickUntilFinal(app.services, jobId, clock);
    await deliverAt('before-retry', clock.now);
    expect(await deliveries(jobId)).toMatchObject([{ event: 'job.failed', status: 'pending' }]);
    replies = [];
    expect((await app.call(retry, 'POST', `/api/video/jobs/${jobId}/retry?id=${jobId}`)).status).toBe(202);
    received.length = 0;
    return { jobId, clock };
  }

  it('a job.failed still undelivered when the job is retried is not posted with the running job as its body', async () => {
    const { jobId: blocked, clock } = await retriedWithEventUndelivered('All of this is [[blocked]] by the stand-in.');
    clock.advance(120_000);
    await deliverAt('after-retry', clock.now);
    const [delivery] = await deliveries(blocked);
    expect(received.filter((r) => r.headers['x-webhook-id'] === delivery.id)).toEqual([]);
    expect(await deliveries(blocked)).toMatchObject([{ event: 'job.failed', status: 'failed', last_error: expect.stringMatching(/^superseded: the job was retried/) }]);
  });

  it('a job.failed superseded by a retry stays unsent even when the job fails again: only the new event goes out', async () => {
    const { jobId: blocked, clock } = await retriedWithEventUndelivered('This too is [[blocked]] by the stand-in.');
    await tickUntilFinal(app.services, blocked, clock);
    clock.advance(3_600_000);
    await deliverAt('after-second-failure', clock.now);
    const [old, fresh] = await deliveries(blocked);
    expect(old).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/^superseded/) });
    expect(fresh).toMatchObject({ event: 'job.failed', status: 'delivered' });
    expect(received.filter((r) => [old.id, fresh.id].includes(r.headers['x-webhook-id'])).map((r) => r.headers['x-webhook-id'])).toEqual([fresh.id]);
  });

  it('a hanging receiver costs one timeout and never holds up task work in the same tick', async () => {
    const hanging = await createWithHook('Hanging receiver.');
    await app.call(cancel, 'POST', `/api/video/jobs/${hanging}/cancel?id=${hanging}`);
    const { jobId: busy } = (await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'Work to do meanwhile.' } })).json;
    const clock = testClock(Date.now() + 1000);
    replies = ['hang'];
    const started = Date.now();
    const result = await runTick(app.services, { now: clock.now, linger: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.created).toBeGreaterThan(0);
    expect(await deliveries(hanging)).toMatchObject([{ status: 'pending', attempts: 1, last_status: null }]);
    const { rows } = await app.database.db.query(`select count(*)::int as n from video_tasks where job_id = $1 and operation_name is not null`, [busy]);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it("a delivery in flight is leased for LEASE_SECONDS, like a task: a later tick does not post it again while it runs", async () => {
    const id = await createWithHook('Lease of a delivery.');
    await app.call(cancel, 'POST', `/api/video/jobs/${id}/cancel?id=${id}`);
    // The first post stays in flight until the receiver hangs up below: with the file's 300 ms
    // timeout it could end, and free the delivery, before the later tick looks on a loaded machine.
    app.reconfigure({ WEBHOOK_TIMEOUT_MS: '5000' });
    const clock = testClock(Date.now() + 1000);
    const signal = new AbortController().signal;
    replies = ['hang'];
    const first = deliverWebhooks(app.services, { tickId: 'slow', now: clock.now, deadline: Date.now() + 10_000, signal });
    try {
      let lease: { locked_by: string | null; seconds: number } | undefined;
      for (let i = 0; i < 200 && lease?.locked_by !== 'slow'; i++) {
        const { rows } = await app.database.db.query(
          `select locked_by, extract(epoch from locked_until - $2::timestamptz)::float8 as seconds from webhook_deliveries where job_id = $1`,
          [id, clock.now()],
        );
        lease = rows[0];
      }
      expect(lease?.locked_by).toBe('slow');
      expect(lease!.seconds).toBeGreaterThanOrEqual(app.services.config.LEASE_SECONDS);
      // A minute on, past WEBHOOK_TIMEOUT_MS + 30 s, the first tick may still be reading the job: hands off.
      await deliverWebhooks(app.services, { tickId: 'later', now: () => new Date(clock.now().getTime() + 60_000), deadline: Date.now() + 10_000, signal });
    } finally {
      // The receiver hangs up: the first post fails as its timeout would have, one attempt spent.
      server.closeAllConnections();
      await first;
      app.reconfigure();
    }
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({ attempts: 1, locked_by: null });
    expect(received.filter((r) => r.headers['x-webhook-id'] === delivery.id)).toHaveLength(1);
  });

  it('two overlapping ticks deliver each webhook once (SKIP LOCKED), and none starts past the deadline', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await createWithHook(`Overlap ${i}.`);
      await app.call(cancel, 'POST', `/api/video/jobs/${id}/cancel?id=${id}`);
    }
    const clock = testClock(Date.now() + 1000);
    const signal = new AbortController().signal;
    const none = await deliverWebhooks(app.services, { tickId: 'late', now: clock.now, deadline: Date.now() + 100, signal });
    expect(none).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(received).toHaveLength(0);
    const [a, b] = await Promise.all([
      deliverWebhooks(app.services, { tickId: 'a', now: clock.now, deadline: Date.now() + 10_000, signal }),
      deliverWebhooks(app.services, { tickId: 'b', now: clock.now, deadline: Date.now() + 10_000, signal }),
    ]);
    expect(a.delivered + b.delivered).toBe(3);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['x-webhook-id'])).size).toBe(3);
  });

  it('webhookUrl needs WEBHOOK_SECRET, and production refuses loopback http', async () => {
    app.reconfigure({ WEBHOOK_SECRET: '' });
    const unset = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'x', webhookUrl: url } });
    expect(unset.status).toBe(400);
    expect(unset.json.error.fields.webhookUrl).toMatch(/WEBHOOK_SECRET/);
    app.reconfigure();
    const prod = loadConfig({ VERCEL_ENV: 'production', WEBHOOK_SECRET: SECRET, DATABASE_URL: 'postgres://db', SUPABASE_URL: 'https://p.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_k', GEMINI_API_KEY: 'k' });
    const { generateRequestSchema } = await import('../lib/jobs/generate-request.js');
    const parsed = generateRequestSchema(prod).safeParse({ response: 'x', webhookUrl: url });
    expect(parsed.success).toBe(false);
    expect(generateRequestSchema(prod).safeParse({ response: 'x', webhookUrl: 'https://hooks.example.com/v' }).success).toBe(true);
  });
});
