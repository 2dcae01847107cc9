import type { Delivery } from '../src/runtime/delivery.ts';

/**
 * permanent: always restarted; transient: restarted only after a failure, not after a normal exit;
 * temporary: never restarted (what it held goes to the dead letters).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** What a supervisor can do to a child: an actor cell or another supervisor. */
export interface Child {
  readonly name: string;
  readonly path: string;
  readonly restartType: RestartType;
  /** Stop taking messages in (they are held, not lost) until restarted. */
  suspend(): void;
  /** Fresh state; with `dropHead` the message that kept failing goes to the dead letters first. */
  restart(dropHead: boolean): void;
  /** Stop for good: everything held goes to the dead letters, and so does everything sent later. */
  terminate(error: Error): void;
}

/** What a child reports to its supervisor. */
export interface Parent {
  readonly path: string;
  childFailed(child: Child, error: unknown, delivery: Delivery | undefined): void;
  childExited(child: Child): void;
}
