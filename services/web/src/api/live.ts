// The live tail over fetch streaming: EventSource cannot send an Authorization header.
import { storedToken } from './client';
import type { RelationshipItem, UplinkItem } from './types';

export type LiveStatus = 'connecting' | 'open' | 'closed' | 'unavailable';

export interface LiveOptions {
  /** Each new uplink, and each new relationship entry (claims, grants, inferences, command decisions). */
  onItem(item: UplinkItem | RelationshipItem): void;
  onStatus(status: LiveStatus, detail?: string): void;
  justification?: string | null;
}

/** Parses Server-Sent Events from text chunks; returns the events completed so far. */
export function createSseParser(): (chunk: string) => { event: string; data: string }[] {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, '\n');
    const out: { event: string; data: string }[] = [];
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) out.push({ event, data: data.join('\n') });
    }
    return out;
  };
}

/**
 * Follows `/v1/devices/:id/live` until `signal` aborts; reconnects with backoff after a dropped
 * stream. A 4xx answer (period ended, no access, no live feed) stops it for good.
 */
export async function followLive(deviceId: string, signal: AbortSignal, options: LiveOptions): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    options.onStatus('connecting');
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = storedToken();
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (options.justification) headers['x-parley-justification'] = options.justification;
      const res = await fetch(`/v1/devices/${encodeURIComponent(deviceId)}/live`, { headers, signal });
      if (!res.ok || !res.body) {
        let message = `${res.status}`;
        try {
          message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON
        }
        if (res.status >= 400 && res.status < 500) {
          options.onStatus('unavailable', message);
          return;
        }
        throw new Error(message);
      }
      options.onStatus('open');
      delay = 1000;
      const parse = createSseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const e of parse(value)) if (e.event === 'uplink' || e.event === 'relationship') options.onItem(JSON.parse(e.data) as UplinkItem | RelationshipItem);
      }
    } catch (err) {
      if (signal.aborted) break;
      options.onStatus('closed', err instanceof Error ? err.message : String(err));
    }
    if (signal.aborted) break;
    options.onStatus('closed', 'reconnecting');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15_000);
  }
  options.onStatus('closed');
}
