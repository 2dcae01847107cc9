import type { Database } from './database.ts';

/**
 * A lease in the database: one holder at a time for something that must have one writer (the
 * account-wide chain). Taken when free or expired, kept by renewing before it expires; times are the
 * database's own (`now()`), so instances' clocks need not agree. Each taking raises the epoch. The
 * holder is the instance id: an instance restarted under its id takes its lease back at once.
 */
export class Lease {
  private readonly db: Database;
  readonly name: string;
  readonly holder: string;
  private readonly ttlMs: number;
  epoch: number | undefined;

  constructor(db: Database, name: string, holder: string, ttlMs: number) {
    this.db = db;
    this.name = name;
    this.holder = holder;
    this.ttlMs = ttlMs;
  }

  /** Takes the lease if it is free, expired or already this holder's; returns whether it is held. */
  async acquire(): Promise<boolean> {
    const rows = await this.db.em().execute<Array<{ epoch: number }>>(
      `insert into lease (name, holder, epoch, expires_at) values (?, ?, 1, now() + ? * interval '1 millisecond')
       on conflict (name) do update set holder = excluded.holder, epoch = lease.epoch + 1, expires_at = excluded.expires_at
       where lease.expires_at < now() or lease.holder = excluded.holder
       returning epoch`,
      [this.name, this.holder, this.ttlMs],
    );
    this.epoch = rows[0]?.epoch;
    return this.epoch !== undefined;
  }

  /** Extends the lease; false when it is no longer this holder's (expired and taken). */
  async renew(): Promise<boolean> {
    const rows = await this.db.em().execute<Array<{ epoch: number }>>(
      `update lease set expires_at = now() + ? * interval '1 millisecond' where name = ? and holder = ? and epoch = ? returning epoch`,
      [this.ttlMs, this.name, this.holder, this.epoch ?? -1],
    );
    return rows.length === 1;
  }

  /** Who holds it now, if anyone does. */
  async current(): Promise<{ holder: string; epoch: number; expiresInMs: number } | undefined> {
    const rows = await this.db.em().execute<Array<{ holder: string; epoch: number; ms: string }>>(
      `select holder, epoch, extract(epoch from (expires_at - now())) * 1000 as ms from lease where name = ? and expires_at > now()`,
      [this.name],
    );
    const r = rows[0];
    return r ? { holder: r.holder, epoch: r.epoch, expiresInMs: Number(r.ms) } : undefined;
  }

  /** Gives it up at a clean stop, so a survivor need not wait for it to expire. */
  async release(): Promise<void> {
    await this.db.em().execute(`update lease set expires_at = now() - interval '1 millisecond' where name = ? and holder = ? and epoch = ?`, [this.name, this.holder, this.epoch ?? -1]);
    this.epoch = undefined;
  }
}
