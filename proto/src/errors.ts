import { ValidationError, type AppErrorOptions } from '@parley/errors';

/**
 * A payload is not a decodable message of the expected type: truncated, corrupt, not UTF-8 where
 * the schema says string, or a known field sent with the wrong wire type. Retrying the same bytes
 * cannot help. The message names the message type, the field and the byte offset where known; it
 * never contains payload content.
 */
export class ProtoDecodeError extends ValidationError {
  constructor(message: string, options: Omit<AppErrorOptions, 'status' | 'retryable'> = {}) {
    super('decode_failed', message, options);
    this.name = 'ProtoDecodeError';
  }
}

/**
 * A value cannot be represented on the wire (a seq that is not a uint32, a time that is not an
 * integer, an enum name that does not exist). Encoding refuses instead of silently writing
 * something else; semantic rules (NaN values, bad metric names) are left to the validators so
 * tests and simulators can still build invalid-but-encodable messages.
 */
export class ProtoEncodeError extends ValidationError {
  constructor(message: string, options: Omit<AppErrorOptions, 'status' | 'retryable'> = {}) {
    super('encode_failed', message, options);
    this.name = 'ProtoEncodeError';
  }
}
