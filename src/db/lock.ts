import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { DatabaseLocked } from '../errors.ts';

/**
 * PGlite has no lock of its own: two processes can open one data folder and corrupt it. This lock is a
 * file beside the folder, created exclusively, holding the owner's pid and its control socket. A lock
 * whose process is gone (killed with -9) is stale and taken over.
 */
export interface LockInfo {
  readonly pid: number;
  readonly socket: string;
  readonly since: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return info.pid !== process.pid && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export class FolderLock {
  private readonly file: string;
  private held = false;

  constructor(file: string) {
    this.file = file;
  }

  acquire(socket: string): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid, socket, since: new Date().toISOString() } satisfies LockInfo));
        closeSync(fd);
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = readLock(this.file);
        if (owner) throw new DatabaseLocked(this.file.replace(/\.lock$/, ''), owner.pid, owner.since);
        // Stale: its process is gone.
        unlinkSync(this.file);
      }
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
