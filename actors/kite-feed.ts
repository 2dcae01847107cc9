import { createEvent } from '../src/contracts/envelope.ts';
import { MARKET_TICKS } from '../src/contracts/topics.ts';
import { toMarketTick, type KiteMode, type KitePacket } from '../src/feeds/kite/packets.ts';
import type { KiteTicker, TickerState } from '../src/feeds/kite/ticker.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';

/**
 * What the Kite feed actor hears: packets from its ticker, the instruments the strategies now need, a
 * new login (the socket reconnects with the new token), or a change of the ticker's state.
 */
export type KiteFeedMessage =
  | { readonly kind: 'packets'; readonly packets: readonly KitePacket[]; readonly receivedAt: number }
  | { readonly kind: 'want'; readonly tokens: readonly number[] }
  | { readonly kind: 'token_changed' }
  | { readonly kind: 'state'; readonly state: TickerState };

export interface KiteFeedState {
  readonly subscribed: ReadonlySet<number>;
  published: number;
}

export interface KiteFeedEnv {
  /** Made afresh at every (re)start: the ticker's sockets belong to one incarnation of the actor. */
  readonly ticker: () => KiteTicker;
  readonly mode: KiteMode;
  /** What the feed adds to each published tick (the count, for the status line). */
  readonly counted?: (n: number) => void;
}

/**
 * The Kite feed: a supervised actor around our own ticker client. Packets become `market_tick` events on
 * market.ticks, keyed by instrument; instruments are subscribed as the strategies come to need them, in
 * one mode (full: depth gives best bid and ask). A restart by its supervisor opens new sockets and
 * subscribes everything again; the ticker itself reconnects, resubscribes and outlives a silent socket,
 * and nothing in it can stop the process.
 */
export function kiteFeed(env: KiteFeedEnv): Behaviour<KiteFeedState, KiteFeedMessage> {
  let ticker: KiteTicker | undefined;
  return {
    init: () => ({ subscribed: new Set(), published: 0 }),
    preStart(state) {
      ticker = env.ticker();
      ticker.start();
      if (state.subscribed.size > 0) ticker.subscribe([...state.subscribed], env.mode);
      return state;
    },
    async postStop() {
      await ticker?.stop();
      ticker = undefined;
    },
    receive(state, message, ctx) {
      switch (message.kind) {
        case 'packets': {
          const now = ctx.clock.now();
          for (const p of message.packets) {
            const data = toMarketTick(p, message.receivedAt);
            if (!data) continue;
            ctx.publish(MARKET_TICKS, createEvent({ type: 'market_tick', broker: 'market', source: 'feed/kite', key: String(data.instrument_token), data, now }));
            state.published++;
          }
          env.counted?.(state.published);
          return state;
        }
        case 'want': {
          const fresh = message.tokens.filter((t) => !state.subscribed.has(t));
          if (fresh.length === 0) return state;
          const r = ticker!.subscribe(fresh, env.mode);
          if (r.refused.length > 0) ctx.log.error({ refused: r.refused, error: r.error }, 'Kite instruments not subscribed: their strategies get no ticks');
          const subscribed = new Set(state.subscribed);
          for (const t of fresh) if (!r.refused.includes(t)) subscribed.add(t);
          ctx.log.info({ added: fresh.length - r.refused.length, subscribed: subscribed.size, mode: env.mode }, 'Kite instruments subscribed');
          return { ...state, subscribed };
        }
        case 'token_changed':
          ticker?.reconnectNow();
          return state;
        case 'state':
          if (message.state === 'unauthorised') ctx.log.error('the Kite ticker refuses the access token: no ticks until a new login (alpha-panda session login)');
          else ctx.log.info({ state: message.state }, 'Kite ticker');
          return state;
      }
    },
  };
}
