// aedes-persistence-redis ships no types; this declares the part cluster.ts uses.
declare module 'aedes-persistence-redis' {
  interface RedisPersistenceOptions {
    /** An ioredis connection to use instead of one built from the other options. */
    conn?: unknown;
    /** Offline messages delivered at most on one CONNECT; default 1000. */
    maxSessionDelivery?: number;
    /** Seconds an offline message is kept (0 = forever, the default). */
    packetTTL?: (packet: unknown) => number;
  }
  interface RedisPersistence {
    /** Stops listening for other brokers' subscriptions and disconnects from Redis. */
    destroy(): Promise<void>;
  }
  function aedesPersistenceRedis(options?: RedisPersistenceOptions): RedisPersistence;
  export = aedesPersistenceRedis;
}
