import { parentPort } from 'node:worker_threads';
import { convertBatch, detachForPosting, unpackEntries, type PackedEntries } from './convert';

/** The conversion thread: packed log entries in, a converted batch (or the error) out. */
export interface ConvertRequest {
  id: number;
  packed: PackedEntries;
  rowsFor: string[] | null;
}

parentPort!.on('message', (m: ConvertRequest) => {
  try {
    const out = convertBatch(unpackEntries(m.packed), m.rowsFor === null ? null : new Set(m.rowsFor));
    parentPort!.postMessage({ id: m.id, out }, detachForPosting(out));
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
