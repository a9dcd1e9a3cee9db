import { AppError, DependencyError, ValidationError } from '@parley/errors';

/**
 * Stable error codes of the log. Callers (the broker maps them to PUBACK reason codes, dashboards
 * count them) match on these, so they are never renamed.
 */
export const LogErrorCode = {
  /** append/consume after close(). */
  closed: 'log_closed',
  /** The write or fdatasync of a group failed; none of its records may be assumed durable. */
  writeFailed: 'log_write_failed',
  /** A previous disk error left the log unable to guarantee durability; reopen required. */
  failed: 'log_failed',
  /** Another process (or another open in this process) holds the log directory. */
  locked: 'log_locked',
  /** A record inside the retained, readable part of the log failed its CRC or framing. */
  corrupt: 'log_corrupt_record',
  /** The record cannot be framed (key/header too long, value too large). */
  recordInvalid: 'log_record_invalid',
  /** openFileLog/consume options are unusable. */
  optionsInvalid: 'log_options_invalid',
  /** Reading a segment or writing an offset failed. */
  ioFailed: 'log_io_failed',
} as const;

export function closedError(dir: string): AppError {
  return new AppError(LogErrorCode.closed, `the file log at ${dir} is closed; open it again to append or consume`, {
    status: 503,
    retryable: false,
    context: { dir },
  });
}

export function writeFailedError(dir: string, records: number, cause: unknown): DependencyError {
  return new DependencyError(
    LogErrorCode.writeFailed,
    `writing ${records} record(s) to the file log at ${dir} failed; none of them were acknowledged (check free disk space and the disk's health)`,
    { cause, context: { dir, records } },
  );
}

export function failedStateError(dir: string, cause: unknown): DependencyError {
  return new DependencyError(
    LogErrorCode.failed,
    `the file log at ${dir} stopped accepting appends after a disk error it cannot safely recover from in-process; fix the disk and restart (reopen) the log`,
    { cause, retryable: false, context: { dir } },
  );
}

export function invalidRecordError(message: string, context: Record<string, unknown>): ValidationError {
  return new ValidationError(LogErrorCode.recordInvalid, message, { context });
}

export function invalidOptionsError(message: string): ValidationError {
  return new ValidationError(LogErrorCode.optionsInvalid, message);
}

export function corruptRecordError(file: string, position: number, reason: string): DependencyError {
  return new DependencyError(
    LogErrorCode.corrupt,
    `the file log segment ${file} holds an unreadable record at byte ${position} (${reason}); consumers cannot get past it — restore the segment from a backup or remove it`,
    { retryable: false, context: { file, position, reason } },
  );
}

export function ioError(action: string, cause: unknown, context: Record<string, unknown>): DependencyError {
  return new DependencyError(LogErrorCode.ioFailed, `file log: ${action} failed`, { cause, context });
}
