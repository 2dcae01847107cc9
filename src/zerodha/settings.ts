import { z } from 'zod';

const Url = z.url();
const PerWindow = z.number().int().positive();

/** Kite Connect: where it is, how orders go to it, and its rate limits (kite-connect.md, "Limits"). */
export const ZerodhaSettings = z.strictObject({
  apiKey: z.string().min(1).nullable(),
  userId: z.string().min(1).nullable(),
  apiUrl: Url,
  tickerUrl: Url,
  loginUrl: Url,
  callbackPort: z.number().int().min(0).max(65535),
  /** Where the callback server listens: loopback unless a proxy or a container's port forward must reach it. */
  callbackHost: z.string().min(1),
  timeoutMs: z.number().int().positive(),
  placeAttempts: z.number().int().min(1).max(10),
  pollMs: z.number().int().min(100),
  /**
   * After a placement Kite did not answer, how long it may still be making the order: the tag is looked
   * for until then before the order is placed again (or reported failed).
   */
  settleMs: z.number().int().min(0),
  /** A signal older than this (event time against now) is not ordered live: a MARKET order on a stale price. */
  maxSignalAgeMs: z.number().int().positive(),
  sessionCheckMs: z.number().int().min(100),
  /** How often the ledger is read for chains traded both ways that have ended (their divergence is published). */
  divergenceMs: z.number().int().min(100),
  /** The day's order limit (5,000) is risk's (risk.ordersPerDay, per trading day, restored from the ledger). */
  limits: z.strictObject({ ordersPerSecond: PerWindow, ordersPerMinute: PerWindow, requestsPerSecond: PerWindow }),
});
export type ZerodhaSettings = z.infer<typeof ZerodhaSettings>;

/** The API secret: from the environment only, so it is never in a file or a log. */
export const API_SECRET_VAR = 'KITE_API_SECRET';
