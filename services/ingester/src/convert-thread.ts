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

/** Worker failures in a row, with no batch converted in between, before conversion moves to this thread. */
export const WORKER_FAILURES_BEFORE_FALLBACK = 3;

/**
 * Runs the conversion on a worker thread, so decoding and encoding (and their garbage) leave the
 * thread that serves MQTT and HTTP. A worker that dies fails the batch in flight (the log
 * re-delivers it) and is started again for the next one. If workers keep failing without
 * converting anything (one that cannot even start, say), conversion moves to the calling thread
 * rather than holding telemetry back.
 */
export function threadConverter(logger: Logger, entry = new URL('./convert-worker.ts', import.meta.url)): Converter {
  let worker: Worker | null = null;
  let nextId = 1;
  let failuresInARow = 0;
  let fallback: Converter | null = null;
  const pending = new Map<number, { resolve: (c: ConvertedBatch) => void; reject: (e: Error) => void }>();

  const failAll = (cause: unknown) => {
    if (++failuresInARow >= WORKER_FAILURES_BEFORE_FALLBACK && !fallback) {
      fallback = inlineConverter();
      logger.error({ failures: failuresInARow }, 'the conversion thread keeps failing; converting on the main thread from now on (PARLEY_INGEST_CONVERT_ON=main does so from the start)');
    }
    const err = new DependencyError('ingest_convert_failed', 'The conversion thread of the ingester failed; the batch will be retried.', { cause });
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  function start(): Worker {
    const w = new Worker(new URL('./convert-boot.mjs', import.meta.url), { workerData: { entry: entry.href } });
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if ('error' in m) p.reject(new Error(`converting a batch failed on the conversion thread: ${m.error}`));
      else {
        failuresInARow = 0;
        p.resolve(m.out);
      }
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
      if (fallback) return fallback.convert(entries, rowsFor);
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
