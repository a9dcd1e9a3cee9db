import { Worker } from 'node:worker_threads';
import type { UplinkLogEntry } from '@parley/log';
import type { Logger } from '@parley/logger';
import { DependencyError } from '@parley/errors';
import { convertBatch, packEntries, type ConvertedBatch } from './convert';
import type { ConvertRequest } from './convert-worker';

/** Where a batch is decoded and encoded: on the calling thread, or on a thread of its own. */
export interface Converter {
  convert(entries: readonly UplinkLogEntry[], rowsFor: ReadonlySet<string> | null): Promise<ConvertedBatch>;
  stop(): Promise<void>;
}

export function inlineConverter(): Converter {
  return {
    convert: (entries, rowsFor) => Promise.resolve(convertBatch(entries, rowsFor)),
    stop: () => Promise.resolve(),
  };
}

type Reply = { id: number; out: ConvertedBatch } | { id: number; error: string };

/**
 * Runs the conversion on a worker thread, so decoding and encoding (and their garbage) leave the
 * thread that serves MQTT and HTTP. A worker that dies fails the batch in flight (the log
 * re-delivers it) and is started again for the next one.
 */
export function threadConverter(logger: Logger): Converter {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (c: ConvertedBatch) => void; reject: (e: Error) => void }>();

  const failAll = (cause: unknown) => {
    const err = new DependencyError('ingest_convert_failed', 'The conversion thread of the ingester failed; the batch will be retried.', { cause });
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  function start(): Worker {
    const w = new Worker(new URL('./convert-boot.mjs', import.meta.url), { workerData: { entry: new URL('./convert-worker.ts', import.meta.url).href } });
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if ('error' in m) p.reject(new Error(`converting a batch failed on the conversion thread: ${m.error}`));
      else p.resolve(m.out);
    });
    w.on('error', (err) => {
      logger.error({ err }, 'conversion thread failed; starting a new one for the next batch');
      if (worker === w) worker = null;
      failAll(err);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      if (pending.size > 0) failAll(new Error(`conversion thread exited with code ${code}`));
    });
    return w;
  }

  return {
    convert(entries, rowsFor) {
      worker ??= start();
      const id = nextId++;
      const packed = packEntries(entries);
      const request: ConvertRequest = { id, packed, rowsFor: rowsFor === null ? null : [...rowsFor] };
      return new Promise<ConvertedBatch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Referenced only while a batch is in flight: an idle thread never keeps the process alive.
        worker!.ref();
        worker!.postMessage(request, [packed.payloads]);
      });
    },
    async stop() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
