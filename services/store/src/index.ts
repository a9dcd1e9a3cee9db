export { openStore, type Store, type OpenStoreOptions } from './store';
export type { StoreLocation } from './connect';
export type { UplinkRow, DeadLetterRow, DownlinkRow } from './rows';
export { DEAD_LETTER_RAW_LIMIT } from './rows';
export type { ConversationQuery, ConversationPage, ConversationItem, UplinkItem, DownlinkItem } from './queries/conversation';
export type { MetricSeriesQuery, MetricSeries, MetricBucket } from './queries/metric-series';
export type { DeadLetterQuery, DeadLetterPage, DeadLetter } from './queries/dead-letters';
export type { Order } from './cursor';
