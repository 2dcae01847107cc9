import { EventRecord } from '../contracts/event-record.ts';
import type { Envelope } from '../contracts/envelope.ts';
import type { Clock, Timer } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { OutboxRow } from '../db/entities.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { publishConfirmed, type Outbox } from '../runtime/outbox.ts';

/**
 * Publishes what the database's outbox holds (strategy changes, written with the change in one
 * transaction), in the order written, and marks each once the broker has confirmed it. Runs on the
 * instance holding the chain lease; a change written while no instance runs goes out at the next start.
 * Published twice (a crash between confirmation and marking), a change is applied once: its version says so.
 */
export class OutboxRelay {
  private timer: Timer | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly db: Database;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pollMs: number;

  constructor(db: Database, outbox: Outbox, clock: Clock, log: Logger, pollMs: number) {
    this.db = db;
    this.outbox = outbox;
    this.clock = clock;
    this.log = log;
    this.pollMs = pollMs;
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.schedule(ms, () => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((e: unknown) => this.log.warn({ err: asError(e) }, 'outbox relay pass failed; will retry'))
        .finally(() => this.schedule(this.pollMs));
    });
  }

  /** Publishes one page of unpublished rows; returns how many went out. */
  async pass(): Promise<number> {
    const em = this.db.em();
    const rows = await em.find(OutboxRow, { publishedAt: null }, { orderBy: { id: 'asc' }, limit: 500 });
    if (rows.length === 0) return 0;
    await publishConfirmed(this.outbox, rows.map((r) => new EventRecord(r.topic, r.event as unknown as Envelope, {})));
    await em.nativeUpdate(OutboxRow, { id: { $in: rows.map((r) => r.id) } }, { publishedAt: new Date(this.clock.now()) });
    this.log.debug({ published: rows.length }, 'outbox published');
    return rows.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }
}
