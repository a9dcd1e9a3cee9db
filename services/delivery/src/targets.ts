import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError, ValidationError } from '@parley/errors';
import type { DestinationKind } from '@parley/registry';

/**
 * Where the platform may send an owner's data. Destinations are URLs an owner typed, so this is an
 * SSRF boundary: by default only `https` webhooks and `mqtts` brokers on public addresses. Loopback,
 * private, link-local, carrier-grade NAT, multicast and reserved ranges are refused both when the
 * destination is created (literal addresses, `localhost`) and at every connection (what the name
 * resolves to then: DNS may change). `allowInsecure` (PARLEY_DELIVERY_ALLOW_INSECURE_TARGETS, for
 * tests and the local demo) lifts both rules.
 */
export interface TargetPolicy {
  allowInsecure: boolean;
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // NAT64 reaches IPv4 space: refused as a whole rather than decoded. (IPv4-mapped addresses,
  // ::ffff:a.b.c.d, are checked against the IPv4 ranges by BlockList itself.)
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** True for an address the platform must not connect to on an owner's behalf. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const SCHEMES: Record<DestinationKind, { secure: string; insecure: string }> = {
  webhook: { secure: 'https:', insecure: 'http:' },
  mqtt: { secure: 'mqtts:', insecure: 'mqtt:' },
};

/** The host part of a URL without IPv6 brackets. */
export const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/**
 * Checks a destination URL when it is created: scheme, no credentials in it, no literal address
 * or name that is local. Returns the normalized URL. Errors are 400s with stable codes.
 */
export function checkDestinationUrl(kind: DestinationKind, raw: string, policy: TargetPolicy): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError('invalid_destination_url', 'The destination URL is not a valid absolute URL.');
  }
  const scheme = SCHEMES[kind];
  if (url.protocol !== scheme.secure && !(policy.allowInsecure && url.protocol === scheme.insecure)) {
    throw new ValidationError(
      'insecure_destination',
      `A ${kind} destination must use ${scheme.secure.slice(0, -1)}://${policy.allowInsecure ? ` or ${scheme.insecure.slice(0, -1)}://` : ''}.`,
    );
  }
  if (url.username || url.password) {
    throw new ValidationError('invalid_destination_url', kind === 'mqtt' ? 'Give broker credentials as "username" and "password", not in the URL.' : 'A webhook URL must not carry credentials; requests are signed instead.');
  }
  if (kind === 'mqtt' && ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash)) {
    throw new ValidationError('invalid_destination_url', 'An MQTT broker URL is mqtts://host[:port]; the topic goes in "topic".');
  }
  const host = bareHost(url);
  if (!policy.allowInsecure && (isLocalName(host) || (isIP(host) !== 0 && isBlockedAddress(host)))) {
    throw new ValidationError('destination_not_public', 'The destination must be reachable on a public address (not loopback, private, link-local or reserved).');
  }
  return url.href;
}

/** A connection the policy refuses (DNS now points at a private address): permanent. */
export function blockedTarget(host: string): AppError {
  return new AppError('destination_not_public', `${host} resolves to an address that is not public; not connecting.`, { status: 502, retryable: false });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net`/`http(s)` connections that refuses blocked addresses after resolution, so a
 * name that resolves to 127.0.0.1 never gets a connection (DNS rebinding included: the address
 * checked is the address connected to).
 */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!policy.allowInsecure && (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address)))) {
        return callback(blockedTarget(hostname) as unknown as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Resolves `host` to one address the policy allows (for clients that take an address, like MQTT). */
export async function resolveAllowed(host: string, policy: TargetPolicy): Promise<string> {
  if (isIP(host) !== 0) {
    if (!policy.allowInsecure && isBlockedAddress(host)) throw blockedTarget(host);
    return host;
  }
  return new Promise((resolve, reject) => {
    guardedLookup(policy)(host, { all: false }, (err, address) => (err ? reject(err) : resolve(address as string)));
  });
}
