import type { Socket } from 'node:net';

/**
 * Closes a connection whose next MQTT packet announces more than `maxBytes` in its fixed header.
 *
 * mqtt-packet has no packet size limit: a client announcing a remaining length of 256 MB gets its
 * bytes buffered until they arrive, so a handful of connections could take the process's memory.
 * This reads only the fixed headers [MQTT-2.2] of the byte stream Aedes parses and skips packet
 * bodies by arithmetic, so it costs a few operations per packet, and it acts on the header alone,
 * before any of the body is buffered.
 *
 * It watches the bytes through a 'data' listener: with Aedes' 'readable' listener in place, Node
 * emits 'data' for exactly the chunks Aedes reads, without changing how the socket flows.
 *
 * @param onTooLarge called once with the announced size, before the socket is destroyed
 */
export function guardPacketSize(socket: Socket, maxBytes: number, onTooLarge: (announcedBytes: number) => void): void {
  let skip = 0; // body bytes of the current packet still to pass
  let inLength = false; // reading the remaining-length varint
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  const onData = (chunk: Buffer): void => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      if (!inLength) {
        i++; // packet type and flags
        inLength = true;
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        continue;
      }
      const b = chunk[i++]!;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if ((b & 0x80) === 0) {
        if (length > maxBytes) {
          socket.off('data', onData);
          onTooLarge(length);
          socket.destroy();
          return;
        }
        inLength = false;
        skip = length;
      } else if (lengthBytes === 4) {
        // A fifth length byte is malformed [MQTT-2.2.3]; the parser reports it and Aedes closes.
        socket.off('data', onData);
        return;
      }
    }
  };
  socket.on('data', onData);
}
