import type { FastifyBaseLogger } from 'fastify';
import type { Command } from '@parley/registry';
import type { ApiDeps } from '../deps';

/**
 * Sends an approved command to its device and records it as sent. Without a sender (an API
 * process that cannot reach devices) or on failure it stays `approved`, visible as such, and a
 * later approval path or retry can send it.
 */
export async function deliver(deps: ApiDeps, command: Command, log: FastifyBaseLogger): Promise<Command> {
  if (command.state !== 'approved' || !deps.commands) return command;
  try {
    await deps.commands.send({
      id: command.id,
      deviceId: command.deviceId,
      kind: command.kind,
      body: command.body,
      expiresAtMs: command.expiresAt.getTime(),
      issuedBy: command.proposedBy,
    });
  } catch (err) {
    log.warn({ err, deviceId: command.deviceId, command: command.id }, 'command could not be delivered; it stays approved');
    return command;
  }
  return deps.registry.commands.markSent(command.id);
}
