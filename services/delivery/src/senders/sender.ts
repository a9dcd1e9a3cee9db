import { AppError, describeError, isAppError } from '@parley/errors';
import type { DeliveryTarget, QueuedItem } from '@parley/registry';

/**
 * Sends one batch of a destination's queue, in order, and resolves only when the destination
 * accepted all of it. Throws an AppError whose `retryable` says whether trying again may help
 * (network errors, timeouts, 5xx, 408, 429) or not (other 4xx, redirects, refused addresses).
 */
export interface Sender {
  send(target: DeliveryTarget, items: readonly QueuedItem[]): Promise<void>;
  /** Closes connections kept between batches. */
  close(): Promise<void>;
}

/** A failed attempt. The message is stored for the owner: a status or a network error, never a secret. */
export function deliveryFailure(message: string, retryable: boolean, cause?: unknown): AppError {
  return new AppError('delivery_failed', message.slice(0, 300), { status: 502, retryable, cause });
}

/** Any thrown value as a failure: AppErrors keep their verdict, anything else is retryable. */
export function asFailure(err: unknown): AppError {
  if (isAppError(err)) return err;
  const code = (err as { code?: unknown }).code;
  return deliveryFailure(typeof code === 'string' && !describeError(err).includes(code) ? `${code}: ${describeError(err)}` : describeError(err), true, err);
}

/** One record as it travels: the stored message plus its log position (a receiver's dedup key is `id`). */
export const wireRecord = (item: QueuedItem): Record<string, unknown> => ({ ...item.message, position: item.source });
