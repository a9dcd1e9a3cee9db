import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type Client } from 'aedes';

/** Options of {@link TestBroker.kill}. */
export interface KillOptions {
  /** Sockets of clients matching this are destroyed first (e.g. the devices)… */
  first?: (clientId: string) => boolean;
  /** …and the rest this long after, so a test subscriber can read what was already routed to it. Default 300. */
  gapMs?: number;
}

/** An in-process Aedes broker on a TCP port, for tests and local benchmarks (not the platform broker). */
export interface TestBroker {
  readonly broker: Aedes;
  readonly port: number;
  readonly url: string;
  /** Simulates a crash: stops accepting, destroys every client socket, closes the broker. */
  kill(options?: KillOptions): Promise<void>;
}

/**
 * Starts Aedes on 127.0.0.1:`port` (0 = any free port). Port 1883 on dev machines is often a system
 * Mosquitto, so tests always ask for 0 or a port they got from an earlier start.
 */
export async function startTestBroker(port = 0, options: AedesOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options);
  const clients = new Map<Socket, Client>();
  const server = createServer((socket) => {
    // Nagle on the broker side stalls QoS1 PUBACKs (measured; see DESIGN.md).
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => clients.delete(socket));
    clients.set(socket, broker.handle(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;

  const kill = async (opts: KillOptions = {}): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (opts.first) {
      for (const [socket, client] of clients) if (client.id && opts.first(client.id)) socket.destroy();
      await new Promise((r) => setTimeout(r, opts.gapMs ?? 300));
    }
    for (const socket of clients.keys()) socket.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await closed;
  };

  return { broker, port: actual, url: `mqtt://127.0.0.1:${actual}`, kill };
}
