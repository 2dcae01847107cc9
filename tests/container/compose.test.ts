import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaTransport } from '../../src/bus/kafka/kafka-transport.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { allTopics, topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { startMockBroker, testBrokerOptions, type MockBroker } from '../broker/mock-broker.ts';
import { POSTGRES_ADMIN, query } from '../support/databases.ts';
import { recordTopics, waitFor } from '../support/harness.ts';
import { decodeAll } from '../support/pipeline.ts';
import { BASE_IMAGE, buildImage, composeService, type ComposeService, exitCodeOf, IMAGE, imageSize, logsOf, podman, removeContainers, sh, startService } from './podman.ts';

/**
 * The compose deployment rehearsed with the project's image: the `feed` service and two replicas of `app`
 * run as containers, with the command and environment docker-compose.yml gives them, on the host network
 * with the compose host names mapped to loopback: Redpanda is the test broker (behind 127.0.0.1:9092, the
 * port the file names), PostgreSQL a fresh `alpha_panda` database on this machine's server, Jaeger an OTLP
 * receiver on 127.0.0.1:4318. Read back from the log and the database.
 */
const paper = topicsFor('paper');
/** The chain's topics the test reads back, from the signal to its fills. */
const RECORDED = [paper.signalsRaw, paper.signalsValidated, paper.signalsRejected, paper.ordersSubmitted, paper.ordersFilled, paper.ordersFailed] as const;
const CONTAINERS = ['ap-rehearsal-feed', 'ap-rehearsal-app-1', 'ap-rehearsal-app-2'] as const;
const [FEED, APP1, APP2] = CONTAINERS;
const DB_NAME = 'alpha_panda';
/** Strategies that trade within seconds on the simulator, placed on both halves of control.strategies' six partitions. */
const STRATEGIES = [
  ['c-mom-2', 'simple_momentum', 'RELIANCE,INFY', { lookback_period: 3, momentum_threshold: 0.0001, position_size: 1 }],
  ['c-mom-1', 'simple_momentum', 'HDFCBANK,TCS', { lookback_period: 3, momentum_threshold: 0.0001, position_size: 1 }],
  ['c-mr-1', 'mean_reversion', 'SBIN,ITC', { window: 5, entry_std: 0.5, exit_std: 0.1, position_size: 1 }],
  ['c-mr-2', 'mean_reversion', 'AXISBANK,ICICIBANK', { window: 5, entry_std: 0.5, exit_std: 0.1, position_size: 1 }],
] as const;
const instanceOf = (e: AnyEnvelope) => e.source.slice(e.source.indexOf('@') + 1);

/** Redpanda's and Jaeger's stand-ins (stand-ins.ts), in a child process; the spans it was sent. */
async function standIns(broker: string): Promise<{ spans: Array<{ traceId: string; name: string }>; stop(): void }> {
  const child = spawn(process.execPath, ['tests/container/stand-ins.ts', '9092', broker, '4318'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const spans: Array<{ traceId: string; name: string }> = [];
  let ready!: () => void;
  const up = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout! }).on('line', (line) => (line === 'ready' ? ready() : spans.push(JSON.parse(line) as { traceId: string; name: string })));
  await Promise.race([up, new Promise((_, rej) => child.once('exit', (code) => rej(new Error(`the stand-ins exited ${code}: are 127.0.0.1:9092 and :4318 free?`))))]);
  return { spans, stop: () => child.stdin!.end() };
}

/**
 * Until `container` has logged its `times`-th start; a container that exits first fails at once, with its
 * log. Waited for longer than the app's own patience for its consumer groups (three 30 s session timeouts:
 * a member that crashed while joining is evicted only after its session, which the test broker can need).
 */
async function appRunning(container: string, times: number): Promise<void> {
  await waitFor(() => {
    const logs = logsOf(container);
    if ((logs.match(/"msg":"alpha panda running"/g) ?? []).length >= times) return true;
    if (podman('inspect', '--format', '{{.State.Running}}', container).out.trim() !== 'true') throw new Error(`${container} exited before it ran:\n${logs.slice(-3000)}`);
    return false;
  }, `${container} running (start ${times})`, 150_000);
}

/**
 * The two settings the rehearsal changes: the test broker names no controller, which kafkajs needs for the
 * admin API's topic creation and for an idempotent producer (Redpanda has one). The test creates the topics
 * itself, as KAFKA_CREATE_TOPICS does on Redpanda, and the producer keeps one batch in flight for order.
 */
const ON_TEST_BROKER = { KAFKA_CREATE_TOPICS: 'false', KAFKA_IDEMPOTENT: 'false' };
const onTestBroker = (c: ComposeService): ComposeService => ({ ...c, environment: { ...c.environment, ...ON_TEST_BROKER } });

describe('the compose deployment, rehearsed in containers of the image', () => {
  let broker: MockBroker;
  let otlp: Awaited<ReturnType<typeof standIns>>;
  let log: Awaited<ReturnType<typeof recordTopics>>;
  let transport: KafkaTransport;
  const adminUrl = POSTGRES_ADMIN;
  const dbUrl = adminUrl.replace(/\/\/[^/]*\/[^/]*$/, `//alpha_panda:alpha_panda@127.0.0.1:5432/${DB_NAME}`);

  beforeAll(async () => {
    const built = buildImage();
    const size = imageSize(IMAGE);
    const base = imageSize(BASE_IMAGE);
    console.log(`image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB, ${((size - base) / 1e6).toFixed(1)} MB above ${BASE_IMAGE}; seconds ${JSON.stringify(built.seconds)}`);
    expect(size - base, 'the app layers above the base').toBeLessThan(60e6);
    // As operators expect it: an unprivileged user, labels, a healthcheck.
    const [inspected] = JSON.parse(podman('image', 'inspect', IMAGE).out) as Array<{ Config: { User?: string; Labels?: Record<string, string>; Env?: string[] }; Healthcheck?: { Test?: string[] } }>;
    expect(inspected!.Config.User).toBe('node');
    expect(Object.keys(inspected!.Config.Labels ?? {})).toEqual(expect.arrayContaining(['org.opencontainers.image.title', 'org.opencontainers.image.version', 'org.opencontainers.image.source', 'org.opencontainers.image.revision']));
    expect(inspected!.Config.Env).toContain('NODE_ENV=production');
    expect(inspected!.Healthcheck?.Test).toEqual(['CMD', 'node', 'src/cli/main.ts', 'health']);
    removeContainers(CONTAINERS);
    broker = await startMockBroker(1);
    otlp = await standIns(broker.bootstrap.split(',')[0]!);
    await query(adminUrl, `drop database if exists ${DB_NAME} with (force)`);
    await query(adminUrl, `do $$ begin if not exists (select from pg_roles where rolname = 'alpha_panda') then create role alpha_panda login password 'alpha_panda'; end if; end $$`);
    await query(adminUrl, `create database ${DB_NAME} owner alpha_panda`);
    const partitions = loadConfig({}).kafka.topicPartitions;
    for (const t of allTopics()) expect(await broker.command(`topic ${t} ${partitions}`)).toBe('ok');
    transport = new KafkaTransport(testBrokerOptions(broker.bootstrap), rootLogger);
  }, 300_000);

  afterAll(async () => {
    for (const c of CONTAINERS) if (process.env.KEEP_CONTAINER_LOGS) console.log(`---- ${c}\n${logsOf(c).slice(-5000)}`);
    removeContainers(CONTAINERS);
    await log?.sub.stop();
    await transport?.close();
    otlp?.stop();
    await broker?.stop();
  }, 60_000);

  it('two replicas split the strategies; a stop moves its strategies, a kill -9 and restart loses and doubles nothing, and their chains reach the trace receiver', async () => {
    const began = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - began) / 1000).toFixed(0)} s`);
    const app = onTestBroker(composeService('app'));
    const feed = onTestBroker(composeService('feed'));
    // The deploy step, in the image: migrations, then the deployment's strategies.
    const deployEnv = Object.entries(app.environment).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    expect(podman('run', '--rm', '--network', 'host', '--add-host', 'postgres:127.0.0.1', ...deployEnv, IMAGE, 'migrate').out).toMatch(/applied Migration/);
    const adds = STRATEGIES.map(([id, type, instruments, params]) => `node src/cli/main.ts strategies add ${id} --type ${type} --instruments ${instruments} --params '${JSON.stringify(params)}'`);
    expect(podman('run', '--rm', '--network', 'host', '--add-host', 'postgres:127.0.0.1', ...deployEnv, '--entrypoint', 'sh', IMAGE, '-c', adds.join(' && ')).out).toMatch(/added c-mr-2/);
    // The log the containers write, read back from the start.
    log = await recordTopics(transport, [...RECORDED]);
    const events = () => decodeAll(log.records);

    phase('deployed');
    // `docker compose up --scale app=2`: the feed and both replicas at once.
    startService(FEED, 'feed', feed);
    // On the host network the replicas cannot share a port, as they do on compose's network.
    startService(APP1, 'app-1', app);
    startService(APP2, 'app-2', app, { HTTP_PORT: '8081' });
    await Promise.all([appRunning(APP1, 1), appRunning(APP2, 1)]);
    const ids = STRATEGIES.map(([id]) => id);
    const allOf = (seen: Iterable<string>) => {
      const set = new Set(seen);
      return ids.every((id) => set.has(id));
    };
    phase('two replicas running');
    // The first replica up ran everything until the second joined: judged once the group has settled.
    await new Promise((r) => setTimeout(r, 5000));
    const settledAt = log.records.length;
    const signals = () => decodeAll(log.records.slice(settledAt)).filter((e) => e.type === 'trading_signal');
    await waitFor(() => new Set(signals().map(instanceOf)).size === 2 && allOf(signals().map((s) => s.data.strategy_id)), 'every strategy trading, on both replicas', 90_000);
    phase('both trading');
    // Split: both replicas trade. None twice: no tick made a strategy signal on two replicas (a strategy
    // run on both would make the same signal on each). Strategies may move while the groups settle.
    const sources = new Map<string, Set<string>>();
    for (const e of events()) if (e.type === 'trading_signal') sources.set(`${e.data.strategy_id} ${e.causation_id}`, (sources.get(`${e.data.strategy_id} ${e.causation_id}`) ?? new Set()).add(instanceOf(e)));
    for (const [tick, at] of sources) expect([...at], `${tick} signalled on`).toHaveLength(1);
    const lastOn = new Map(signals().map((s) => [s.data.strategy_id, instanceOf(s)]));
    const onApp1 = [...lastOn].filter(([, at]) => at === 'app-1').map(([id]) => id);
    expect(onApp1.length).toBeGreaterThan(0);
    // The image's HEALTHCHECK, on a running replica: the command it names, then podman's own run of it.
    const t = Date.now();
    const health = sh('podman', ['exec', APP1, 'node', 'src/cli/main.ts', 'health'], { check: false });
    console.log(`health in ${Date.now() - t} ms: ${health.out}${health.err.slice(-1500)}`);
    expect(health.code, health.out).toBe(0);
    expect(podman('healthcheck', 'run', APP1).code).toBe(0);

    phase('healthy');
    // Each replica serves the API, the dashboard and /metrics (compose publishes port 8080 of each).
    for (const port of [8080, 8081]) {
      const live = await fetch(`http://127.0.0.1:${port}/health`);
      expect(live.status, `replica on ${port}`).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/`)).headers.get('content-type')).toContain('text/html');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^alpha_panda_ticks_received_total \d+/m);
      expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    }
    // podman stop: SIGTERM, drained and committed within 10 s, exit 0; its strategies go on at app-2.
    const stopping = Date.now();
    podman('stop', '-t', String(app.stopGraceSeconds), APP1);
    const stopMs = Date.now() - stopping;
    expect(stopMs, 'podman stop of a replica').toBeLessThan(10_000);
    expect(exitCodeOf(APP1)).toBe(0);
    expect(logsOf(APP1)).toMatch(/paper\s+TOTAL/);
    const stoppedAt = log.records.length;
    await waitFor(() => onApp1.every((id) => decodeAll(log.records.slice(stoppedAt)).some((e) => e.type === 'trading_signal' && e.data.strategy_id === id && instanceOf(e) === 'app-2')), `${onApp1.join(', ')} trading on app-2`, 90_000);

    phase('moved after the stop');
    // app-2 killed with SIGKILL and started again in its place (what a restart policy does), alone.
    podman('kill', '-s', 'KILL', APP2);
    expect(exitCodeOf(APP2)).not.toBe(0);
    podman('start', APP2);
    await appRunning(APP2, 2);
    phase('killed and restarted');
    const restartedAt = log.records.length;
    await waitFor(() => allOf(decodeAll(log.records.slice(restartedAt)).flatMap((e) => (e.type === 'order_filled' ? [e.data.strategy_id] : []))), 'every strategy filled again after the kill', 120_000);

    phase('trading again after the kill');
    // The market stops; everything in flight finishes; both replicas stop cleanly.
    podman('stop', '-t', String(feed.stopGraceSeconds), FEED);
    let unended: string[] = [];
    await waitFor(() => {
      const e = events();
      const ended = new Set(e.filter((x) => x.type === 'order_filled' || x.type === 'order_failed' || x.type === 'rejected_signal').map((x) => x.correlation_id));
      unended = [...new Set(e.filter((x) => x.type === 'trading_signal' || x.type === 'validated_signal').map((x) => x.correlation_id))].filter((id) => !ended.has(id));
      return unended.length === 0;
    }, 'every signal rejected, filled or failed', 60_000).catch(async (err: Error) => {
      // What each unfinished chain holds on the log and in the ledger, for whoever reads the failure.
      const onLog = events().filter((x) => unended.includes(x.correlation_id)).map((x) => `${x.correlation_id} ${x.type} ${x.source} ${x.ts}`);
      const rows = unended.length === 0 ? [] : await query(dbUrl, `select correlation_id, kind, order_id, trading_day from ledger_entry where correlation_id in (${unended.map((id) => `'${id}'`).join(', ')})`).catch((e: unknown) => [String(e)]);
      throw new Error(`${err.message}: ${unended.length} unended\n${onLog.join('\n')}\nledger: ${JSON.stringify(rows)}`);
    });
    podman('stop', '-t', String(app.stopGraceSeconds), APP2);
    expect(exitCodeOf(APP2)).toBe(0);

    phase('stopped');
    // Every fill on the log is in the ledger once, and nothing else is; no validated signal executed twice.
    // (The log read to its end first: the replicas' last records went out as they stopped.)
    const ends = await Promise.all(RECORDED.map(async (t) => [t, await transport.endOffsets(t)] as const));
    await waitFor(() => ends.every(([t, end]) => [...end].every(([p, o]) => o === 0n || log.records.some((r) => r.topic === t && r.partition === p && BigInt(r.offset) + 1n >= o))), 'the log read to its end', 30_000);
    const all = events();
    const logFills = new Map(all.filter((e) => e.type === 'order_filled').map((e) => [`${e.data.order_id}|${e.data.fill_id}`, e]));
    const ledger = await query<{ order_id: string; fill_id: string; strategy_id: string; instrument_token: string; side: string; quantity: number; fill_price_paise: string; fees_paise: string; recorded_at: Date }>(dbUrl, `select order_id, fill_id, strategy_id, instrument_token, side, quantity, fill_price_paise, fees_paise, recorded_at from ledger_entry where namespace = 'paper' and kind = 'filled' order by recorded_at`);
    expect(ledger.map((f) => `${f.order_id}|${f.fill_id}`).sort()).toEqual([...logFills.keys()].sort());
    const placements = new Map<string, Set<string>>();
    for (const e of all) if (e.type === 'order_placed') placements.set(e.correlation_id, (placements.get(e.correlation_id) ?? new Set()).add(e.data.order_id));
    for (const [chain, orders] of placements) expect([...orders], `orders of ${chain}`).toHaveLength(1);

    // Each strategy's last snapshot (written at the last stop) equals what its unique fills make.
    const capital = toPaise(loadConfig({}).trading.initialCapital);
    const snapshots = await query<{ strategy_id: string; cash_paise: string; ts: Date; data: { positions: Array<{ instrument_token: number; quantity: number }>; fees: number } }>(dbUrl, `select distinct on (strategy_id) strategy_id, cash_paise, ts, data from pnl_snapshot where namespace = 'paper' and strategy_id is not null order by strategy_id, id desc`);
    for (const [id] of STRATEGIES) {
      const fills = ledger.filter((f) => f.strategy_id === id);
      const held = new Map<number, number>();
      let cash = capital;
      let fees = 0;
      for (const f of fills) {
        const q = f.side === 'BUY' ? f.quantity : -f.quantity;
        held.set(Number(f.instrument_token), (held.get(Number(f.instrument_token)) ?? 0) + q);
        cash -= q * Number(f.fill_price_paise) + Number(f.fees_paise);
        fees += Number(f.fees_paise);
      }
      const snap = snapshots.find((s) => s.strategy_id === id);
      expect(snap, `a snapshot of ${id}`).toBeDefined();
      const lastFills = fills.slice(-3).map((f) => `${f.side} ${f.quantity} at ${f.fill_price_paise} recorded ${f.recorded_at.toISOString()}`);
      expect(Number(snap!.cash_paise), `${id} cash (snapshot of ${snap!.ts.toISOString()}; last fills ${lastFills.join('; ')})`).toBe(cash);
      expect(toPaise(snap!.data.fees), `${id} fees`).toBe(fees);
      const positions = Object.fromEntries(snap!.data.positions.filter((p) => p.quantity !== 0).map((p) => [p.instrument_token, p.quantity]));
      expect(positions, `${id} positions`).toEqual(Object.fromEntries([...held].filter(([, q]) => q !== 0)));
    }

    // The chains reached the trace receiver: a signal's trace holds each hop's send and process spans,
    // from the signal to the fill reaching the portfolio.
    await waitFor(() => otlp.spans.length > 0, 'spans at the OTLP receiver', 30_000);
    const byTrace = new Map<string, Set<string>>();
    for (const s of otlp.spans) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? new Set()).add(s.name));
    const hops = [`send ${paper.signalsRaw}`, `process ${paper.signalsRaw}`, `send ${paper.signalsValidated}`, `process ${paper.signalsValidated}`, `send ${paper.ordersFilled}`, `process ${paper.ordersFilled}`];
    expect([...byTrace.values()].some((names) => hops.every((n) => names.has(n))), `a trace with ${hops.join(', ')}`).toBe(true);
    phase('checked');
    console.log(`phases (since the image was built): ${phases.join(', ')}; podman stop of a replica took ${stopMs} ms`);
  }, 600_000);
});
