// An exclusive flock(2) on an open file, the lock host-local takes on `<dataDir>/<network>/lock`.
//
// Node has no flock of its own. The options weighed:
// - a native addon (fs-ext, fs-native-extensions): a compiled binary per Node ABI and architecture
//   in the image, and a blocking wait parked on libuv's small thread pool;
// - lock files by mkdir/rename (proper-lockfile): not the lock host-local takes, so no exclusion;
// - util-linux's flock(1), which Debian marks Essential (present in every Debian-based image):
//   handed our open descriptor as its fd 3, it locks the open file description we share with it.
//   A flock belongs to the open file description, not to the process, so the lock stays held by
//   us after flock(1) exits, and is released when we close our descriptor (or we exit).
// The last one is used: no build step, no thread-pool wait, and it is the very lock host-local
// takes (tested against flock(1) held by another process, and against host-local itself).
import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';

export const FLOCK_COMMAND = 'flock';

/**
 * Takes an exclusive flock on the open file, waiting up to `timeoutSeconds`. Released by closing
 * the handle. Rejects with one line when the lock is not acquired or flock(1) cannot run.
 */
export function lockExclusive(file: FileHandle, timeoutSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FLOCK_COMMAND, ['--exclusive', '--wait', String(timeoutSeconds), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', file.fd],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString();
    });
    child.on('error', (err) =>
      reject(new Error(`cannot run ${FLOCK_COMMAND}(1) (util-linux) to take the lock: ${err.message}`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const why =
        code === 1 ? `still held by another process after ${timeoutSeconds}s` : `flock exit ${code ?? signal}`;
      reject(new Error(`lock not acquired: ${why}${stderr.trim() ? ` (${stderr.trim().split('\n')[0]})` : ''}`));
    });
  });
}
