import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every webhook request carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'parley-signature';
/** How old a signature a receiver should accept (the README's snippet uses it too). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const mac = (secret: string, timestamp: number, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/**
 * Signs a webhook body: HMAC-SHA256 with the destination's secret over `<timestamp>.<raw body>`.
 * The timestamp is in the signed material so a captured request cannot be replayed later.
 */
export function signBody(secret: string, body: string | Buffer, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * What a receiver does (see the README): recompute the MAC over the raw body, compare in constant
 * time, and refuse timestamps outside the tolerance.
 */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(parts['v1'] ?? '')) return false;
  return timingSafeEqual(Buffer.from(mac(secret, t, body), 'hex'), Buffer.from(parts['v1']!, 'hex'));
}
