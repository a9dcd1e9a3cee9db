// Entry of the ingester's conversion thread. The workspace runs TypeScript through tsx, and a
// worker does not inherit the loader of the thread that started it, so it registers tsx itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
