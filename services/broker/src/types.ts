/** What the broker needs from the registry: nothing more than checking a device's credentials. */
export interface DeviceAuthenticator {
  authenticateDevice(deviceId: string, secret: string): Promise<{ id: string } | null>;
}

export interface BrokerLimits {
  /** Largest accepted payload; larger ones are dead-lettered (cut to this size) and acknowledged. */
  maxPayloadBytes: number;
  /** Connection attempts allowed per device id per minute (after the burst). */
  connectsPerMinute: number;
  connectBurst: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPayloadBytes: 64 * 1024,
  connectsPerMinute: 12,
  connectBurst: 6,
};

/** Counters exposed for health output and (later) Prometheus. */
export interface BrokerStats {
  connected: number;
  accepted: number;
  deadLettered: Record<string, number>;
  authFailures: number;
  rateLimited: number;
  aclDenials: number;
  appendFailures: number;
}
