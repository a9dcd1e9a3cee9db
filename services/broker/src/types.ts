/** What the broker needs from the registry: nothing more than checking a device's credentials. */
export interface DeviceAuthenticator {
  authenticateDevice(deviceId: string, secret: string): Promise<{ id: string } | null>;
  /** The device if it exists (for client-certificate logins, where the certificate is the credential). */
  getDevice(deviceId: string): Promise<{ id: string; status: string } | null>;
}

export interface BrokerLimits {
  /** Largest accepted payload; larger ones are dead-lettered (cut to this size) and acknowledged. */
  maxPayloadBytes: number;
  /**
   * Largest MQTT packet (remaining length) a client may announce; a connection announcing more is
   * closed at the packet header, before its body is buffered. At least `maxPayloadBytes`: payloads
   * between the two are dead-lettered, larger packets cost the connection.
   */
  maxPacketBytes: number;
  /** Connection attempts allowed per device id per minute (after the burst). */
  connectsPerMinute: number;
  connectBurst: number;
  /**
   * Failed authentications allowed per client address per minute (burst: a third of it). Past it,
   * connections from that address are refused with CONNACK 3 before the secret is even checked, so
   * guessing secrets is slow and costs the registry nothing.
   */
  authFailuresPerMinute: number;
  /** How long a new TCP connection may take to send CONNECT before it is closed (slow-loris). */
  connectTimeoutMs: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPayloadBytes: 64 * 1024,
  maxPacketBytes: 256 * 1024,
  connectsPerMinute: 12,
  connectBurst: 6,
  authFailuresPerMinute: 30,
  connectTimeoutMs: 10_000,
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
  /** Connections closed for announcing a packet larger than `maxPacketBytes`. */
  oversizedPackets: number;
  /** Connections closed before or while sending CONNECT: malformed packets, connect timeouts. */
  protocolErrors: number;
}
