import { channelBreakout } from './channel-breakout.ts';
import { meanReversion } from './mean-reversion.ts';
import type { Strategy } from './sdk.ts';
import { simpleMomentum } from './simple-momentum.ts';

/** Every strategy the system can run, by name. Adding one: write its file, add it here. */
export const STRATEGIES: ReadonlyMap<string, Strategy<unknown, unknown>> = new Map(
  [simpleMomentum, meanReversion, channelBreakout].map((s) => [s.name, s as unknown as Strategy<unknown, unknown>]),
);
