import { AppError } from '@parley/errors';

/** A taken port, reworded to name the variable that moves it. */
export function portError(err: unknown, variable: string): unknown {
  if (err instanceof AppError && err.code === 'port_in_use') {
    return new AppError('port_in_use', `${err.message}. Set ${variable} to a free port (0 picks any free port).`, { cause: err });
  }
  if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    return new AppError('port_in_use', `Port in use. Set ${variable} to a free port (0 picks any free port).`, { cause: err });
  }
  return err;
}
