import type { LockDirOptions } from '../dir-lock';

/** The options every dir-lock test (and its child process) locks with. */
export const TEST_LOCK = {
  fileName: 'test.lock',
  errorCode: 'test_dir_locked',
  purpose: 'test store',
  why: 'Two writers would corrupt the test store',
} as const satisfies LockDirOptions;
