import { request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { DeliveryTarget, QueuedItem } from '@parley/registry';
import { SIGNATURE_HEADER, signBody } from '../signature';
import { bareHost, blockedTarget, guardedLookup, isBlockedAddress, type TargetPolicy } from '../targets';
import { asFailure, deliveryFailure, wireRecord, type Sender } from './sender';

/** Statuses worth retrying besides 5xx: the receiver is busy or slow, not refusing the content. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * HTTPS webhooks: one signed POST per batch, `{destinationId, deviceId, records: [...]}`. 2xx means
 * accepted. Redirects are not followed (a redirect could lead anywhere, the SSRF check included).
 */
export function webhookSender(options: { policy: TargetPolicy; timeoutMs: number; userAgent?: string }): Sender {
  const lookup = guardedLookup(options.policy);
  const inFlight = new Set<ClientRequest>();

  function post(target: DeliveryTarget, body: string): Promise<number> {
    const url = new URL(target.url);
    const host = bareHost(url);
    if (!options.policy.allowInsecure && isIP(host) !== 0 && isBlockedAddress(host)) return Promise.reject(blockedTarget(host));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': options.userAgent ?? 'Parley-Delivery/1',
      'parley-destination': target.id,
      [SIGNATURE_HEADER]: signBody(target.secret!, body),
    };
    return new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, lookup: lookup as RequestOptions['lookup'], agent: false, timeout: options.timeoutMs }, (res) => {
        res.resume(); // the body is not read; drain it so the socket closes
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      inFlight.add(req);
      req.on('close', () => inFlight.delete(req));
      req.on('timeout', () => req.destroy(deliveryFailure(`no answer within ${options.timeoutMs} ms`, true)));
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    async send(target, items: readonly QueuedItem[]) {
      const body = JSON.stringify({ destinationId: target.id, deviceId: target.deviceId, records: items.map(wireRecord) });
      let status: number;
      try {
        status = await post(target, body);
      } catch (err) {
        throw asFailure(err);
      }
      if (status >= 200 && status < 300) return;
      if (status >= 300 && status < 400) throw deliveryFailure(`HTTP ${status}: redirects are not followed; use the final URL`, false);
      throw deliveryFailure(`HTTP ${status}`, status >= 500 || RETRYABLE_4XX.has(status));
    },
    /** Aborts requests in flight: their records stay queued and go again after a restart. */
    async close() {
      for (const req of inFlight) req.destroy(deliveryFailure('delivery is stopping', true));
    },
  };
}
