import { z } from 'zod';
import { kiteFeed, type KiteFeedMessage } from '../../actors/kite-feed.ts';
import type { OrderUpdate } from '../../actors/order-tracker.ts';
import { every } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { KiteTicker } from '../feeds/kite/ticker.ts';
import type { Logger } from '../log.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { KiteSession } from '../zerodha/session.ts';
import type { ActorSystem } from './actor-system.ts';

const OrderFrame = z.object({ order_id: z.string().min(1), status: z.string().min(1), status_message: z.string().nullable().optional(), filled_quantity: z.number().int().nonnegative() });

export interface KiteFeedOptions {
  readonly system: ActorSystem;
  readonly config: Config;
  readonly apiKey: string;
  readonly session: KiteSession;
  /** The instruments the strategies trade now: asked again every few seconds (strategies change). */
  readonly wanted: () => Promise<readonly number[]>;
  /** Order updates from the socket, where this process also runs the order tracker. */
  readonly onOrderUpdate?: (u: OrderUpdate) => void;
  readonly log: Logger;
}

export interface KiteFeedHandle {
  /** Ticks published to market.ticks so far. */
  readonly published: () => number;
  stop(): void;
}

const REFRESH_MS = 2000;

/**
 * Market data from Kite: the feed actor under a supervisor of its own, told the instruments the
 * strategies need as they change, and told to reconnect when a login brings a new access token (the
 * 06:00 IST expiry ends the old one).
 */
export function startKiteFeed(o: KiteFeedOptions): KiteFeedHandle {
  const { system, config } = o;
  const log = o.log.child({ component: 'kite-feed' });
  let self: ActorRef<KiteFeedMessage> | undefined;
  let published = 0;
  const ticker = () =>
    new KiteTicker({
      url: config.zerodha.tickerUrl,
      apiKey: o.apiKey,
      accessToken: () => o.session.accessToken,
      clock: system.clock,
      log,
      onTicks: (packets, receivedAt) => self?.tell({ kind: 'packets', packets, receivedAt }),
      onOrderUpdate: (data) => {
        const u = OrderFrame.safeParse(data);
        if (!u.success) return log.warn({ problem: u.error.issues[0]?.message }, 'an order frame from Kite that is not an order update: ignored');
        o.onOrderUpdate?.({ orderId: u.data.order_id, status: u.data.status, message: u.data.status_message, filled: u.data.filled_quantity });
      },
      onState: (state) => self?.tell({ kind: 'state', state }),
    });
  const supervisor = system.root.spawnSupervisor({ name: 'kite-feed', policy: config.supervision });
  self = supervisor.spawn({ name: 'ticker', behaviour: kiteFeed({ ticker, mode: 'full', counted: (n) => (published = n) }) });
  o.session.onChange(() => self?.tell({ kind: 'token_changed' }));
  const refresh = () =>
    o
      .wanted()
      .then((tokens) => self?.tell({ kind: 'want', tokens }))
      .catch((e: unknown) => log.warn({ err: e }, 'could not read which instruments the strategies trade: asked again shortly'));
  void refresh();
  const timer = every(system.clock, REFRESH_MS, refresh);
  return {
    published: () => published,
    stop: () => timer.cancel(),
  };
}
