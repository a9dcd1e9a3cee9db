/** Wall-clock time with sub-millisecond precision, comparable between processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** A payload of `bytes` (at least 8) whose first 8 bytes are the send time, for end-to-end latency. */
export function stampPayload(bytes: number): Buffer {
  const b = Buffer.alloc(Math.max(8, bytes), 0x61);
  b.writeDoubleLE(nowMs(), 0);
  return b;
}

/** Milliseconds since the payload was stamped. */
export function payloadAgeMs(payload: Buffer): number {
  return nowMs() - payload.readDoubleLE(0);
}
