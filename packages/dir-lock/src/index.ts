/**
 * `@parley/dir-lock`: an exclusive, crash-tolerant lock on a data directory, so two processes never
 * open the same file log or PGlite data dir. See {@link lockDir}.
 */
export { lockDir, type DirLock, type LockDirOptions, type LockHolder } from './dir-lock';
