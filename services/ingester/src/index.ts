export { startIngester, INGESTER_GROUP, type Ingester, type IngesterOptions, type IngesterStats } from './ingester';
export { toRow } from './to-rows';
