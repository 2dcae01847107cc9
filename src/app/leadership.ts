import type { Clock } from '../clock.ts';
import type { Lease } from '../db/lease.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Leadership } from './pipeline.ts';

/**
 * The chain lease held and renewed: renewed every third of its time to live; taken over by polling as
 * often when another instance holds it. An instance that cannot renew (the lease was taken, or the
 * database has not answered for a whole time to live) can no longer be sure it is the only writer and
 * stops (`onLost`): its supervisor (compose, systemd) starts it again, as a follower.
 */
export class ChainLeadership implements Leadership {
  private readonly lease: Lease;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly onLost: (error: Error) => void;
  private timer: { cancel(): void } | undefined;
  private stopped = false;
  held = false;

  constructor(lease: Lease, clock: Clock, log: Logger, ttlMs: number, onLost: (error: Error) => void) {
    this.lease = lease;
    this.clock = clock;
    this.log = log;
    this.ttlMs = ttlMs;
    this.onLost = onLost;
  }

  async first(): Promise<boolean> {
    if (await this.lease.acquire()) this.won();
    return this.held;
  }

  next(): Promise<void> {
    return new Promise((resolve) => {
      const poll = () => {
        if (this.stopped) return;
        this.timer = this.clock.schedule(this.ttlMs / 3, () => {
          this.lease.acquire().then(
            (ok) => {
              if (!ok) return poll();
              this.won();
              resolve();
            },
            (e: unknown) => {
              this.log.warn({ err: asError(e) }, 'could not ask for the chain lease; will try again');
              poll();
            },
          );
        });
      };
      poll();
    });
  }

  private won(): void {
    this.held = true;
    this.log.info({ lease: this.lease.name, holder: this.lease.holder, epoch: this.lease.epoch }, 'holding the chain lease');
    let renewedAt = this.clock.now();
    const renew = () => {
      if (this.stopped) return;
      this.timer = this.clock.schedule(this.ttlMs / 3, () => {
        this.lease.renew().then(
          (ok) => {
            if (!ok) return this.lost('the chain lease was taken by another instance');
            renewedAt = this.clock.now();
            renew();
          },
          (e: unknown) => {
            if (this.clock.now() - renewedAt >= this.ttlMs) return this.lost(`the chain lease could not be renewed for ${this.ttlMs} ms: ${asError(e).message}`);
            this.log.warn({ err: asError(e) }, 'chain lease renewal failed; will retry');
            renew();
          },
        );
      });
    };
    renew();
  }

  private lost(why: string): void {
    if (this.stopped) return;
    this.held = false;
    this.stopped = true;
    this.onLost(new Error(`${why}: stopping, so that only one instance writes for the account`));
  }

  /** At a clean stop: gives the lease up, so a survivor takes the chain at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (this.held) await this.lease.release().catch(() => undefined);
    this.held = false;
  }
}
