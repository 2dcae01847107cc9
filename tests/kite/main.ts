/**
 * A standalone Kite stand-in for demos: `node tests/kite/main.ts --port 8090`. Quotes random-walk every
 * 500 ms (a tick at a time, with some volume) for every instrument of config/instruments.csv.
 */
import { parseArgs } from 'node:util';
import { isIndex, loadInstruments } from './instruments.ts';
import { roundToTick } from './prices.ts';
import { KiteServer } from './server.ts';

const WALK_MS = 500;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8090' },
    'api-key': { type: 'string', default: 'testkey' },
    'api-secret': { type: 'string', default: 'testsecret' },
    'redirect-url': { type: 'string' },
    'postback-url': { type: 'string' },
    'partial-fills': { type: 'string', default: '1' },
  },
});

const instruments = loadInstruments();
const server = await KiteServer.start({
  port: Number(values.port),
  apiKey: values['api-key'],
  apiSecret: values['api-secret'],
  redirectUrl: values['redirect-url'],
  postbackUrl: values['postback-url'],
  partialFills: Number(values['partial-fills']),
  instruments,
});

const volumes = new Map<number, number>();
const walk = setInterval(() => {
  for (const i of instruments) {
    const last = server.quote(i.instrument_token)?.last_price;
    if (last === undefined) continue;
    const step = Math.floor(Math.random() * 5) - 2;
    const price = Math.max(i.tick_size, roundToTick(last + step * i.tick_size, i.tick_size));
    if (isIndex(i)) {
      server.setQuote(i.instrument_token, { last_price: price });
      continue;
    }
    const volume = (volumes.get(i.instrument_token) ?? 0) + i.lot_size * (1 + Math.floor(Math.random() * 50));
    volumes.set(i.instrument_token, volume);
    server.setQuote(i.instrument_token, { last_price: price, volume });
  }
}, WALK_MS);

console.log(`Kite stand-in for user ${server.userId}
  REST root   ${server.url}   (new KiteConnect({ api_key, root }))
  ticker      ${server.wsUrl}?api_key=${server.apiKey}&access_token=...
  api key     ${server.apiKey}
  api secret  ${server.apiSecret}
  login URL   ${server.loginUrl()}
Ctrl-C stops it.`);

process.once('SIGINT', () => {
  clearInterval(walk);
  void server.close();
});
