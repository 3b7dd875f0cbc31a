/**
 * Posts one webhook and answers the receiver's status. The host name is resolved here, and the
 * connection goes to exactly the address that was resolved: in production every address the name
 * resolves to must be public (./address.ts). Checking a name first and then handing the URL to
 * `fetch` would not do: fetch resolves it again, and a name that answered with a public address
 * for the check can answer 169.254.169.254 for the connection (DNS rebinding).
 * node:http(s) rather than fetch because only they take our own `lookup` (fetch would need a
 * dispatcher from the undici package). Redirects are not followed; the body is never read.
 */
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError } from '../errors.js';
import { isPrivateAddress } from './address.js';

/** Every address a host name resolves to (the system resolver unless a test passes its own). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const resolveWithSystem: Resolve = (hostname) =>
  new Promise((resolve, reject) => systemLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

function refusedAddress(hostname: string, address: string): AppError {
  return new AppError('webhook_address_refused', `${hostname} resolves to ${address}, a loopback or private address: not posted`, { status: 400 });
}

/** A `lookup` for node:http that resolves with `resolve` and, when `refusePrivate`, refuses the service's own network. */
export function checkedLookup(resolve: Resolve, refusePrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        // Any private answer refuses the name: the connection could be made to whichever one.
        const bad = refusePrivate ? addresses.find((a) => isPrivateAddress(a.address)) : undefined;
        if (bad) return callback(refusedAddress(hostname, bad.address), '');
        const usable = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
        const first = usable[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  /** Production: refuse a name that resolves to a loopback or private address. */
  refusePrivate: boolean;
  resolve?: Resolve;
}

/** Resolves with the receiver's status code; rejects on a refused address, a network error or the signal. */
export function postWebhook(post: WebhookPost): Promise<number> {
  const url = new URL(post.url);
  // An address literal never reaches `lookup`; it is checked here instead.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (post.refusePrivate && isPrivateAddress(literal)) return Promise.reject(refusedAddress(literal, literal));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
        // A fresh connection each time: deliveries are rare, and a pooled socket would outlive the function.
        agent: false,
        lookup: checkedLookup(post.resolve ?? resolveWithSystem, post.refusePrivate),
        signal: post.signal,
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', (err) => reject(post.signal.aborted ? post.signal.reason : err));
    req.end(post.body);
  });
}
