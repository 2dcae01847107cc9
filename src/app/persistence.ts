import { chainEventsInLedger } from '../chains/ledger-lookup.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { ControlServer } from '../control/control-server.ts';
import { administer } from '../control/strategy-admin.ts';
import { DbChainStore } from '../db/chain-store.ts';
import { Database } from '../db/database.ts';
import { Lease } from '../db/lease.ts';
import { StrategyStore } from '../db/strategy-store.ts';
import type { Logger } from '../log.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import type { Outbox } from '../runtime/outbox.ts';
import { loadStrategySpecs } from '../strategies/config.ts';
import { ChainLeadership } from './leadership.ts';
import { OutboxRelay } from './outbox-relay.ts';
import type { Leadership } from './pipeline.ts';

/**
 * Everything a run keeps in the database: the ledger the chain writes (DbChainStore), strategy
 * configuration (StrategyStore, seeded from the YAML file when empty), the chain lease, the outbox relay
 * the lease holder runs, and (embedded database) the control socket other commands reach it through
 * (`strategies ...`, and `trace`, which reads a chain from the ledger).
 */
export class Persistence {
  readonly db: Database;
  readonly strategies: StrategyStore;
  readonly chain: DbChainStore;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly config: Config;
  private leadership: ChainLeadership | undefined;
  private relay: OutboxRelay | undefined;
  private control: ControlServer | undefined;

  private constructor(db: Database, config: Config, catalogue: InstrumentCatalogue, clock: Clock, log: Logger) {
    this.db = db;
    this.config = config;
    this.clock = clock;
    this.log = log;
    this.strategies = new StrategyStore(db, catalogue, clock);
    this.chain = new DbChainStore(db, clock, log.child({ component: 'ledger' }));
  }

  /** Opens and migrates the configured database and seeds an empty strategy table from the YAML file. */
  static async open(config: Config, catalogue: InstrumentCatalogue, clock: Clock, log: Logger): Promise<Persistence> {
    const db = await Database.open(config.database, log);
    try {
      const applied = await db.migrate();
      if (applied.length > 0) log.info({ migrations: applied, database: db.where }, 'database migrated');
      const p = new Persistence(db, config, catalogue, clock, log);
      // One instance seeds an empty database; the others, started with it, find it seeded.
      const seeded = await db.exclusively(async () => ((await p.strategies.all()).length === 0 ? p.strategies.seed(loadStrategySpecs(config.trading.strategiesFile, catalogue)) : undefined));
      if (seeded !== undefined) log.info({ strategies: seeded, from: config.trading.strategiesFile }, 'strategies seeded into the empty database');
      else log.info({ database: db.where }, `strategies come from the database (${config.trading.strategiesFile} seeds an empty one only; change them with 'alpha-panda strategies')`);
      return p;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /**
   * The chain lease for this instance; whoever holds it also relays the outbox. `onLost` is told when
   * the lease cannot be kept (the run stops).
   */
  lease(instanceId: string, outbox: Outbox, onLost: (e: Error) => void): Leadership {
    const ttl = this.config.instance.leaseTtlMs;
    const l = (this.leadership = new ChainLeadership(new Lease(this.db, `chain:${this.config.kafka.groupPrefix}`, instanceId, ttl), this.clock, this.log.child({ component: 'lease' }), ttl, onLost));
    const relay = () => {
      this.relay = new OutboxRelay(this.db, outbox, this.clock, this.log.child({ component: 'outbox' }), this.config.instance.outboxPollMs);
      this.relay.start();
    };
    return {
      first: async () => {
        const held = await l.first();
        if (held) relay();
        return held;
      },
      next: async () => {
        await l.next();
        relay();
      },
    };
  }

  /** Embedded database: listen for other commands (strategies ...) on its control socket. */
  async serveControl(): Promise<void> {
    if (!this.db.socket) return;
    this.control = await ControlServer.listen(this.db.socket, (r) => administer(this.strategies, r, (id) => chainEventsInLedger(this.db, id)), this.log.child({ component: 'control' }));
  }

  /** After the actors have stopped (their last records are written): relay, lease, socket, database. */
  async close(): Promise<void> {
    await this.relay?.stop().catch(() => undefined);
    await this.control?.close().catch(() => undefined);
    this.chain.close();
    await this.leadership?.stop();
    await this.db.close();
  }
}
