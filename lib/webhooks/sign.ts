/**
 * Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}` with WEBHOOK_SECRET, sent as
 * `X-Webhook-Signature: sha256=<hex>` beside `X-Webhook-Timestamp: <unix seconds>`. Signing the
 * timestamp with the body lets a receiver refuse replays of an old delivery.
 *
 * @example Verifying in a receiver (Node):
 *   const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
 *   timingSafeEqual(Buffer.from(`sha256=${expected}`), Buffer.from(signatureHeader));
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-webhook-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';
export const EVENT_HEADER = 'x-webhook-event';
export const DELIVERY_HEADER = 'x-webhook-id';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Whether a delivery is genuine and fresh (within `toleranceSeconds` of `now`). */
export function verifyWebhookSignature(
  secret: string,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  body: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
