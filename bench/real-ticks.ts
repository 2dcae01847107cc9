import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../src/contracts/codec.ts';
import { createEvent, type Envelope } from '../src/contracts/envelope.ts';
import { parsePacket, toMarketTick } from '../src/feeds/kite/packets.ts';

/**
 * Real ticks with depth: Zerodha's sample full-mode packet (tests/fixtures/kite/ticker_full.packet, 184
 * bytes: quote, OHLC, open interest and five levels a side), made into a market_tick the way the Kite feed
 * makes one (parsePacket, toMarketTick, createEvent). Each tick rewrites the packet's own token, last price,
 * volume and exchange time first, so records differ as a live feed's do while keeping the real shape.
 */
const FULL_PACKET = Buffer.from(readFileSync(join(import.meta.dirname, '../tests/fixtures/kite/ticker_full.packet'), 'utf8').trim(), 'base64');

/** The fixture's NSE token; others of its segment are 256 apart (the low byte is the segment). */
export const FIXTURE_TOKEN = FULL_PACKET.readUInt32BE(0);
export const tokenOf = (instrument: number) => FIXTURE_TOKEN + 256 * instrument;

export function realTick(i: number, instruments: number, now = Date.UTC(2025, 7, 11, 4, 0)): Envelope<'market_tick'> {
  const b = Buffer.from(FULL_PACKET);
  b.writeUInt32BE(tokenOf(i % instruments), 0);
  b.writeUInt32BE(b.readUInt32BE(4) + 5 * (i % 100), 4); // last price, in paise
  b.writeUInt32BE(b.readUInt32BE(16) + i, 16); // volume
  b.writeUInt32BE(Math.floor(now / 1000) + Math.floor(i / 1000), 60); // exchange time, in seconds
  const data = toMarketTick(parsePacket(b)!, now + i)!;
  return createEvent({ type: 'market_tick', broker: 'market', source: 'feed/kite', key: String(data.instrument_token), data, now: now + i });
}

/** `count` real ticks over `instruments` keys as records for `topic`. */
export function realTickRecords(topic: string, count: number, instruments: number) {
  return Array.from({ length: count }, (_, i) => {
    const e = realTick(i, instruments);
    return { topic, key: e.key, value: encode(e), headers: {} };
  });
}
