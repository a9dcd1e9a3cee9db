/**
 * @parley/log — the durable log between the broker and the ingester.
 *
 * The contract suite lives at `@parley/log/contract` (it imports vitest, so production code must
 * not load it through this entry).
 */
export type {
  AppendRecord,
  AppendResult,
  ConsumeOptions,
  ConsumerLag,
  LogBatch,
  LogConsumer,
  LogRecord,
  TelemetryLog,
} from './telemetry-log';
export { openFileLog, type FileLogOptions, type RetentionOptions } from './file-log';
export { LogErrorCode } from './errors';
export { fromUplinkRecord, toUplinkRecord, type UplinkEnvelopeMeta, type UplinkLogEntry } from './uplink-record';
export { openKafkaLog, type KafkaLogOptions } from './kafka-log';
export { KafkaLogErrorCode } from './kafka-errors';
