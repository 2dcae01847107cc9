import type { Delivery } from './delivery.ts';

/**
 * The idea of a parent, as the runtime knows it: a cell reports its failures and its normal exit to its
 * parent, and the parent tells it to suspend, restart or terminate. What a parent decides is a
 * supervisor's business (supervisors/); the runtime only knows these two interfaces.
 */

/**
 * permanent: always restarted; transient: restarted only after a failure, not after a normal exit;
 * temporary: never restarted (what it held goes to the dead letters).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** What a parent can do to a child: an actor cell or another supervisor. */
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

/** What a child reports to its parent. */
export interface Parent {
  readonly path: string;
  childFailed(child: Child, error: unknown, delivery: Delivery | undefined): void;
  childExited(child: Child): void;
}
