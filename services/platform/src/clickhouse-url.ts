import { AppError } from '@parley/errors';
import type { StoreLocation } from '@parley/store';

function parse(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    // Do not echo the value: a mistyped URL may still carry a password.
    throw new AppError('store_url_invalid', 'The ClickHouse URL is not an HTTP URL; expected http[s]://[user:password@]host:port[/database].');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new AppError('store_url_invalid', 'The ClickHouse URL must not carry query parameters: settings are fixed by Parley, identically in both modes.');
  }
  if (parsed.pathname.split('/').filter(Boolean).length > 1) {
    throw new AppError('store_url_invalid', 'The ClickHouse URL may name one database as its path (http://host:8123/parley), nothing more.');
  }
  return parsed;
}

/** `url` without its password, for messages and logs; throws `store_url_invalid` on anything but a plain http(s) URL. */
export function describeClickHouseUrl(url: string): string {
  const parsed = parse(url);
  parsed.password = '';
  return parsed.toString();
}

/**
 * The store location for a ClickHouse URL: credentials and database go as separate options, so
 * the client gets a bare server URL (it would otherwise warn that the URL overrides them).
 */
export function clickHouseLocation(url: string): StoreLocation {
  const parsed = parse(url);
  const database = parsed.pathname.replace(/^\/|\/$/g, '');
  const location: StoreLocation = {
    url: `${parsed.protocol}//${parsed.host}`,
    ...(database ? { database: decodeURIComponent(database) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
  return location;
}
