import { describe, expect, it } from 'vitest';
import { Scheduler, type PeriodicTask } from './scheduler.js';

function task(intervalMs: number, log: string[], name: string): PeriodicTask & { intervalMs: number } {
  return { intervalMs, run: (now) => log.push(`${name}@${now}`) };
}

describe('Scheduler', () => {
  it('runs each task at its own rate from one clock', () => {
    let now = 0;
    const log: string[] = [];
    const s = new Scheduler({ now: () => now });
    const a = task(10, log, 'a');
    const b = task(25, log, 'b');
    s.add(a, 0);
    s.add(b, 5);
    for (now = 0; now <= 100; now += 5) s.tick();
    expect(log.filter((l) => l.startsWith('a')).length).toBe(11);
    expect(log.filter((l) => l.startsWith('b')).length).toBe(4);
    expect(log.slice(0, 3)).toEqual(['a@0', 'b@5', 'a@10']);
  });

  it('keeps the long-run rate when ticks are coarse', () => {
    let now = 0;
    let runs = 0;
    const s = new Scheduler({ now: () => now });
    s.add({ intervalMs: 8, run: () => runs++ }, 0);
    for (now = 0; now < 10_000; now += 37) s.tick();
    expect(runs).toBeGreaterThanOrEqual(1245);
    expect(runs).toBeLessThanOrEqual(1251);
  });

  it('does not burst to catch up after a long stall', () => {
    let now = 0;
    let runs = 0;
    const s = new Scheduler({ now: () => now, maxLagMs: 100 });
    s.add({ intervalMs: 10, run: () => runs++ }, 0);
    now = 60_000;
    s.tick();
    expect(runs).toBeLessThan(20);
  });

  it('limits the runs per tick so I/O can get in', () => {
    let now = 0;
    let runs = 0;
    const s = new Scheduler({ now: () => now, maxRunsPerTick: 100 });
    for (let i = 0; i < 500; i++) s.add({ intervalMs: 1000, run: () => runs++ }, 0);
    s.tick();
    expect(runs).toBe(100);
    s.tick();
    expect(runs).toBe(200);
  });

  it('reschedules and removes tasks', () => {
    let now = 0;
    const log: string[] = [];
    const s = new Scheduler({ now: () => now });
    const a = task(1000, log, 'a');
    const b = task(1000, log, 'b');
    s.add(a, 1000);
    s.add(b, 1000);
    s.reschedule(a, 10);
    s.remove(b);
    for (now = 0; now <= 1500; now += 10) s.tick();
    expect(log).toEqual(['a@10', 'a@1010']);
    expect(s.size).toBe(1);
  });

  it('ticks on real timers once started', async () => {
    let runs = 0;
    const s = new Scheduler();
    s.add({ intervalMs: 10, run: () => runs++ }, Date.now());
    s.start();
    await new Promise((r) => setTimeout(r, 120));
    s.stop();
    expect(runs).toBeGreaterThan(6);
    expect(runs).toBeLessThan(16);
  });
});
