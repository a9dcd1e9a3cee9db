import { ValidationError } from '@parley/errors';
import { SCHEMA_VERSION, validateDownlink, type DownlinkBody } from '@parley/proto';
import type { CommandKind } from '@parley/registry';

/** The request body of a command proposal, per kind. */
export interface CommandInput {
  name?: string;
  params?: Record<string, string>;
  settings?: Record<string, string>;
  version?: string;
  url?: string;
  sha256?: string;
}

/**
 * Builds the downlink body for `kind` and checks it with the same validator devices' downlinks
 * pass, so a proposal the owner approves can always be sent.
 */
export function commandBody(kind: CommandKind, input: CommandInput): DownlinkBody {
  const body: DownlinkBody =
    kind === 'command'
      ? { kind, name: input.name ?? '', params: input.params ?? {} }
      : kind === 'config'
        ? { kind, settings: input.settings ?? {} }
        : { kind, version: input.version ?? '', url: input.url ?? '', sha256: input.sha256 ?? '' };
  const check = validateDownlink({ schemaVersion: SCHEMA_VERSION, commandId: 'check', issuedAtMs: Date.now(), expiresAtMs: 0, body });
  if (!check.ok) throw new ValidationError('invalid_command', `The ${kind} is not valid: ${check.detail} (${check.reason}).`);
  return body;
}
