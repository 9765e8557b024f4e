import { open } from 'node:fs/promises';

/**
 * fsync of a directory, so a file created or renamed in it survives a crash (POSIX makes the
 * entry durable only when the directory is synced). Platforms that cannot open a directory for
 * syncing (Windows) skip it.
 */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await fh.close();
  }
}
