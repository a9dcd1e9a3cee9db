/**
 * The device's store-and-forward queue. Every message a device produces goes through it, online or
 * not: a message leaves only when its PUBACK arrived, so a connection that dies with messages in
 * flight loses nothing — they are sent again, unchanged (same boot id and seq), on the next
 * connection, in the order they were produced.
 */

/** Waiting to be (re)sent. */
export const PENDING = 0;
/** Sent on the current connection, PUBACK not yet seen. */
export const IN_FLIGHT = 1;
/** PUBACKed; kept only until every older message is acknowledged too. */
export const ACKED = 2;
/** Pushed out by a newer message while the buffer was full. */
export const DROPPED = 3;

/** Where a buffered message stands. */
export type MessageState = typeof PENDING | typeof IN_FLIGHT | typeof ACKED | typeof DROPPED;

/** One buffered message and its delivery state. */
export interface BufferedMessage<T> {
  readonly value: T;
  state: MessageState;
  /** How many times it has been handed out for sending; above 1 means it was re-sent. */
  sends: number;
}

const MIN_SLOTS = 16;

/**
 * A bounded FIFO with a send cursor, on a power-of-two ring that grows and shrinks with its
 * content: a fleet of 1000 devices must not pre-allocate 1000 × 10 000 slots to survive an outage
 * that may never happen.
 *
 * Positions are absolute counters (`head` ≤ `cursor` ≤ `tail`); the slot is `position & mask`.
 * [head, cursor) were handed out (in flight or acknowledged out of order), [cursor, tail) wait.
 */
export class OfflineBuffer<T> {
  /** Messages pushed out by {@link push} because the buffer was full. */
  dropped = 0;
  private slots: Array<BufferedMessage<T> | undefined> = new Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private head = 0;
  private cursor = 0;
  private tail = 0;

  /** @param capacity the most messages kept; when full the oldest is dropped (and counted). */
  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('buffer capacity must be a positive integer');
  }

  /** Messages held: waiting, in flight, or acknowledged behind an older unacknowledged one. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Messages not yet handed out on the current connection. */
  get waiting(): number {
    return this.tail - this.cursor;
  }

  /** Appends a message; if the buffer is full the oldest message is dropped first. */
  push(value: T): BufferedMessage<T> {
    if (this.size >= this.capacity) this.dropOldest();
    if (this.size === this.slots.length) this.resize(this.slots.length * 2);
    const message: BufferedMessage<T> = { value, state: PENDING, sends: 0 };
    this.slots[this.tail & this.mask] = message;
    this.tail++;
    return message;
  }

  /** Hands out the oldest message not yet sent on this connection and marks it in flight. */
  next(): BufferedMessage<T> | undefined {
    while (this.cursor < this.tail) {
      const message = this.slots[this.cursor & this.mask]!;
      this.cursor++;
      // Acknowledged out of order on an earlier connection: delivered, so not sent again.
      if (message.state !== PENDING) continue;
      message.state = IN_FLIGHT;
      message.sends++;
      return message;
    }
    return undefined;
  }

  /**
   * Records the PUBACK of a message. Returns false if it no longer counts (dropped while in flight,
   * or acknowledged already), so callers count each delivery once.
   */
  ack(message: BufferedMessage<T>): boolean {
    if (message.state !== IN_FLIGHT) return false;
    message.state = ACKED;
    while (this.head < this.cursor) {
      const slot = this.head & this.mask;
      if (this.slots[slot]!.state !== ACKED) break;
      this.slots[slot] = undefined;
      this.head++;
    }
    if (this.slots.length > MIN_SLOTS && this.size < this.slots.length / 4) this.resize(this.slots.length / 2);
    return true;
  }

  /**
   * The connection is gone: every message in flight is pending again and sending restarts at the
   * oldest, so the next connection replays them in their original order.
   */
  rewind(): void {
    for (let p = this.head; p < this.cursor; p++) {
      const message = this.slots[p & this.mask]!;
      if (message.state === IN_FLIGHT) message.state = PENDING;
    }
    this.cursor = this.head;
  }

  /** The held messages, oldest first (for tests and diagnostics; allocates). */
  toArray(): BufferedMessage<T>[] {
    const out: BufferedMessage<T>[] = [];
    for (let p = this.head; p < this.tail; p++) out.push(this.slots[p & this.mask]!);
    return out;
  }

  private dropOldest(): void {
    const slot = this.head & this.mask;
    this.slots[slot]!.state = DROPPED;
    this.slots[slot] = undefined;
    this.head++;
    if (this.cursor < this.head) this.cursor = this.head;
    this.dropped++;
  }

  /** Moves the content to a ring of `length` slots, keeping absolute positions valid. */
  private resize(length: number): void {
    const slots: Array<BufferedMessage<T> | undefined> = new Array(length);
    const mask = length - 1;
    for (let p = this.head; p < this.tail; p++) slots[p & mask] = this.slots[p & this.mask];
    this.slots = slots;
    this.mask = mask;
  }
}
