import { startMockBroker } from '../tests/broker/mock-broker.ts';
import { benchLatency } from './latency.bench.ts';
const b = await startMockBroker(1);
try { console.log(await benchLatency(b.bootstrap, 10_000, 6)); } catch (e) { console.error("FAILED", e); } finally { await b.stop(); process.exit(0); }
