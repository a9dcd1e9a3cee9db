import { describe, expect, it } from 'vitest';
import { ACKED, DROPPED, IN_FLIGHT, OfflineBuffer, PENDING } from './offline-buffer.js';

function drain<T>(buffer: OfflineBuffer<T>): T[] {
  const out: T[] = [];
  for (let m = buffer.next(); m; m = buffer.next()) out.push(m.value);
  return out;
}

describe('OfflineBuffer', () => {
  it('hands messages out in the order they were produced', () => {
    const buffer = new OfflineBuffer<number>(100);
    for (let i = 1; i <= 40; i++) buffer.push(i);
    expect(drain(buffer)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(buffer.size).toBe(40);
  });

  it('keeps a sent message until its PUBACK arrives', () => {
    const buffer = new OfflineBuffer<string>(10);
    buffer.push('a');
    const a = buffer.next()!;
    expect(a.state).toBe(IN_FLIGHT);
    expect(buffer.size).toBe(1);
    expect(buffer.ack(a)).toBe(true);
    expect(a.state).toBe(ACKED);
    expect(buffer.size).toBe(0);
    expect(buffer.ack(a)).toBe(false);
  });

  it('replays unacknowledged messages in order after a rewind, skipping ones acknowledged out of order', () => {
    const buffer = new OfflineBuffer<number>(100);
    for (let i = 1; i <= 6; i++) buffer.push(i);
    const sent = [buffer.next()!, buffer.next()!, buffer.next()!, buffer.next()!];
    buffer.ack(sent[0]!);
    buffer.ack(sent[2]!); // message 3 acknowledged before message 2
    expect(buffer.size).toBe(5);
    buffer.rewind();
    const replay = [buffer.next()!, buffer.next()!, buffer.next()!, buffer.next()!];
    expect(replay.map((m) => m.value)).toEqual([2, 4, 5, 6]);
    expect(replay.map((m) => m.sends)).toEqual([2, 2, 1, 1]);
    expect(buffer.next()).toBeUndefined();
    for (const m of replay) buffer.ack(m);
    expect(buffer.size).toBe(0);
  });

  it('drops the oldest message when full and counts it', () => {
    const buffer = new OfflineBuffer<number>(5);
    const first = buffer.push(1);
    for (let i = 2; i <= 8; i++) buffer.push(i);
    expect(buffer.size).toBe(5);
    expect(buffer.dropped).toBe(3);
    expect(first.state).toBe(DROPPED);
    expect(drain(buffer)).toEqual([4, 5, 6, 7, 8]);
  });

  it('does not count the PUBACK of a message dropped while in flight', () => {
    const buffer = new OfflineBuffer<number>(2);
    buffer.push(1);
    const one = buffer.next()!;
    buffer.push(2);
    buffer.push(3); // pushes 1 out while it is in flight
    expect(buffer.ack(one)).toBe(false);
    expect(buffer.dropped).toBe(1);
    expect(drain(buffer)).toEqual([2, 3]);
  });

  it('grows for an outage and shrinks back once drained, keeping order', () => {
    const buffer = new OfflineBuffer<number>(10_000);
    for (let i = 0; i < 5000; i++) buffer.push(i);
    const sent = [];
    for (let m = buffer.next(); m; m = buffer.next()) sent.push(m);
    expect(sent.map((m) => m.value)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    for (const m of sent.slice(0, 4990)) buffer.ack(m);
    expect(buffer.size).toBe(10);
    for (let i = 5000; i < 5010; i++) buffer.push(i);
    buffer.rewind();
    expect(drain(buffer)).toEqual(Array.from({ length: 20 }, (_, i) => 4990 + i));
    expect(buffer.toArray().every((m) => m.state === IN_FLIGHT)).toBe(true);
  });

  it('counts waiting messages separately from those in flight', () => {
    const buffer = new OfflineBuffer<number>(10);
    buffer.push(1);
    buffer.push(2);
    buffer.next();
    expect(buffer.waiting).toBe(1);
    expect(buffer.toArray().map((m) => m.state)).toEqual([IN_FLIGHT, PENDING]);
    buffer.rewind();
    expect(buffer.waiting).toBe(2);
  });
});
