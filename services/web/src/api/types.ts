// Response shapes of the Parley API that the UI reads (see /openapi.json for the full schema).

export type AccountKind = 'owner' | 'grantee' | 'manufacturer';

export interface Me {
  id: string;
  kind: AccountKind;
  role: string;
  ownerId?: string | null;
  displayName?: string | null;
}

export interface Device {
  id: string;
  model: string;
  firmware: string;
  status: string;
  createdAt: string;
}

export interface Period {
  id: string;
  deviceId: string;
  ownerId: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  fleetAnalytics: boolean;
}

export interface MyDevice {
  device: Device;
  owned: boolean;
  periods: Period[];
}

export interface Sample {
  metric: string;
  value: number;
  time: string;
}

export interface DeviceEvent {
  code: string;
  severity: string;
  time: string;
  message: string;
  attributes: Record<string, string>;
}

export interface CommandResult {
  commandId: string;
  status: string;
  time: string;
  detail: string;
}

export interface UplinkItem {
  kind: 'uplink';
  id: string;
  time: string;
  receivedAt: string;
  bootId: string;
  seq: number;
  firmware: string;
  samples: Sample[];
  events: DeviceEvent[];
  commandResults: CommandResult[];
}

export interface DownlinkItem {
  kind: 'downlink';
  id: string;
  time: string;
  commandId: string;
  type: string;
  expiresAt: string | null;
  body: Record<string, unknown>;
  issuedBy: string;
}

export interface RelationshipItem {
  kind: 'relationship';
  id: string;
  time: string;
  type: string;
  actor: string;
  subjectId: string | null;
  body: Record<string, unknown>;
}

export type ConversationItem = UplinkItem | DownlinkItem | RelationshipItem;

export interface Conversation {
  deviceId: string;
  from: string;
  to: string;
  periodId: string | null;
  items: ConversationItem[];
  nextCursor: string | null;
  deadLetters: number;
}

export interface MetricBucket {
  time: string;
  count: number;
  min: number;
  avg: number;
  max: number;
  last: number;
}

export interface MetricSeries {
  deviceId: string;
  metric: string;
  bucketSeconds: number;
  buckets: MetricBucket[];
}

export interface Insights {
  deviceId: string;
  generatedAt: string;
  trends: { metric: string; days: number; recent: number | null; previous: number | null; change: number | null }[];
  anomalies: { metric: string; hour: string; mean: number; median: number; z: number }[];
  benchmarks: { metric: string; value: number; percentile: number; cohortSize: number; cohortMedian: number; cohortP25: number; cohortP75: number }[];
  cohort: { model: string; firmware: string; devices: number; shown: boolean };
  findings: { metric: string; kind: string; text: string; evidence: string }[];
}

export interface Grant {
  id: string;
  deviceId: string;
  periodId: string;
  granteeId: string;
  metrics: string[];
  events: string[];
  dataFrom: string | null;
  dataTo: string | null;
  expiresAt: string;
  purpose: string;
  createdAt: string;
  revokedAt: string | null;
  receiptId: string;
  status: 'active' | 'revoked' | 'expired' | 'ended';
}

export interface Receipt {
  id: string;
  kind: string;
  deviceId: string;
  periodId: string | null;
  granteeId: string | null;
  body: Record<string, unknown>;
  createdAt: string;
}

export interface AccessEntry {
  id: string;
  at: string;
  accountId: string;
  kind: string;
  role: string;
  route: string;
  purpose: string;
  grantId: string | null;
  periodId: string | null;
}

export interface Evidence {
  kind: string;
  ref: string;
  [k: string]: unknown;
}

export interface InferenceNote {
  id: string;
  kind: string;
  body: string;
  authorId: string;
  authorKind: string;
  createdAt: string;
}

export interface Inference {
  id: string;
  deviceId: string;
  code: string;
  title: string;
  detail: string;
  evidence: Evidence[];
  status: string;
  authorId: string;
  createdAt: string;
  updatedAt: string;
  notes: InferenceNote[];
}

export type CommandState = 'pending' | 'approved' | 'declined' | 'sent' | 'acked' | 'failed' | 'expired';

export interface Command {
  id: string;
  deviceId: string;
  periodId: string | null;
  class: string;
  kind: string;
  body: Record<string, unknown>;
  reason: string;
  emergency: boolean;
  state: CommandState;
  approval: string | null;
  proposedBy: string;
  proposedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  sentAt: string | null;
  resultAt: string | null;
  resultDetail: string | null;
  expiresAt: string;
}

export interface FleetActivity {
  hours: number;
  devices: number;
  active: number;
  silent: number;
}

export interface FleetMetricGroup {
  time: string | null;
  firmware: string;
  devices: number;
  samples: number;
  min: number;
  avg: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface FleetMetric {
  metric: string;
  bucket: string;
  from: string;
  to: string;
  minDevices: number;
  excludedDevices: number;
  suppressedGroups: number;
  groups: FleetMetricGroup[];
}

export interface FirmwareVersionStats {
  firmware: string;
  devices: number | null;
  deviceDays: number | null;
  deviceHours: number | null;
  errorsPerDeviceDay: number | null;
  rebootsPerDeviceDay: number | null;
  stableHoursShare: number | null;
}

export interface FirmwareComparison {
  from: string;
  to: string;
  minDevices: number;
  versions: FirmwareVersionStats[];
}

export interface FleetEvents {
  suppressedGroups: number;
  events: { time?: string | null; code: string; severity: string; firmware: string; events: number; devices: number }[];
}

export interface Outliers {
  by: string;
  devices: { deviceId: string; firmware: string; errors?: number; deviceDays?: number; errorsPerDay?: number; mean?: number; cohortMedian?: number; z?: number }[];
}

export interface DeadLetter {
  id: string;
  deviceId: string;
  receivedAt: string;
  topic: string;
  reason: string;
  detail: string;
  rawSize: number;
  rawBase64: string;
  rawTruncated: boolean;
}
