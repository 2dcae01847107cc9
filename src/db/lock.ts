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

function readLockFile(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * The lock's holder, if it is another live process. A lock naming this process's own pid and not held
 * here was left by an earlier process that had the same pid (a container's pid 1 after a restart).
 */
export function readLock(file: string): LockInfo | undefined {
  const info = readLockFile(file);
  return info && info.pid !== process.pid && alive(info.pid) ? info : undefined;
}

/** Locks this process holds: a second open here is refused like one from another process. */
const HELD = new Set<string>();

export class FolderLock {
  private readonly file: string;
  private held = false;

  constructor(file: string) {
    this.file = file;
  }

  acquire(socket: string): void {
    if (HELD.has(this.file)) {
      const mine = readLockFile(this.file);
      throw new DatabaseLocked(this.file.replace(/\.lock$/, ''), process.pid, mine?.since ?? 'now');
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid, socket, since: new Date().toISOString() } satisfies LockInfo));
        closeSync(fd);
        this.held = true;
        HELD.add(this.file);
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
    HELD.delete(this.file);
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
