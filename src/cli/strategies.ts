import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { Persistence } from '../app/persistence.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { askRunning } from '../control/control-server.ts';
import { administer, type AdminRequest, type AdminResult } from '../control/strategy-admin.ts';
import { readLock } from '../db/lock.ts';
import type { StrategyInput, StrategyRecord } from '../db/strategy-store.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';
import { STRATEGIES } from '../strategies/registry.ts';

/**
 * `alpha-panda strategies ...`: the strategies in the database, changed while the system runs. With
 * PostgreSQL the command opens the database itself; with the embedded one it asks the `run` that holds
 * it (through its control socket), or opens it when nothing runs. Every change is checked first and is
 * announced on the control topic with it: running instances apply it within a second.
 */

type Setup = () => { config: Config; log: Logger };

/** Sends the request wherever the database is. */
async function send(config: Config, log: Logger, request: AdminRequest): Promise<AdminResult> {
  const { database } = config;
  if (!database.enabled) throw new ConfigError([`the database is switched off (database.enabled: false): strategies come from ${config.trading.strategiesFile}; edit it and restart`]);
  if (!database.url && !database.dir.startsWith('memory://')) {
    const running = readLock(`${resolve(database.dir)}.lock`);
    if (running) return askRunning(running.socket, request);
  }
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  const p = await Persistence.open(config, catalogue, systemClock, log);
  try {
    return await administer(p.strategies, request);
  } finally {
    await p.close();
  }
}

/** `--set key=value`: the value as JSON where it parses (numbers, booleans), else as text. */
function setting(raw: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--set takes key=value, got '${raw}'`);
  const text = raw.slice(eq + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // text
  }
  return { ...previous, [raw.slice(0, eq)]: value };
}

function paramsJson(raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgumentError(`--params is not JSON: ${(e as Error).message}`);
  }
  const r = z.record(z.string(), z.unknown()).safeParse(v);
  if (!r.success) throw new InvalidArgumentError('--params must be a JSON object, e.g. \'{"lookback_period": 20}\'');
  return r.data;
}

const list = (raw: string) => raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

interface ChangeFlags {
  type?: string;
  instruments?: (number | string)[];
  params?: Record<string, unknown>;
  set?: Record<string, unknown>;
  live?: boolean;
  disabled?: boolean;
  json?: boolean;
}

function inputOf(o: ChangeFlags): StrategyInput {
  return { ...(o.type ? { type: o.type } : {}), ...(o.instruments ? { instruments: o.instruments } : {}), ...(o.params ? { params: o.params } : {}), ...(o.set ? { set: o.set } : {}), ...(o.live !== undefined ? { live: o.live } : {}), ...(o.disabled ? { active: false } : {}) };
}

function symbols(config: Config): (token: number) => string {
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  return (t) => catalogue.get(t)?.symbol ?? String(t);
}

function row(r: StrategyRecord, sym: (t: number) => string): string[] {
  return [r.id, r.type, r.instruments.map(sym).join(','), r.active ? 'yes' : 'no', r.live ? 'yes' : 'no', String(r.version), JSON.stringify(r.params)];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function print(o: { json?: boolean }, result: AdminResult, text: () => string): void {
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${text()}\n`);
}

/** Adds `strategies` to the program (made with `command`, so it inherits its exit and output settings). */
export function addStrategiesCommand(program: Command, setup: Setup): Command {
  const cmd = program.command('strategies').description('list and change the strategies in the database while the system runs (running instances apply a change within a second)');
  const go = async (request: AdminRequest, o: { json?: boolean }, text: (r: AdminResult, sym: (t: number) => string) => string) => {
    const { config, log } = setup();
    const result = await send(config, log, request);
    const paperOnly = result.record?.live && !config.trading.liveEnabled ? '\n(live trading is switched off globally, trading.liveEnabled: it trades paper only until that is on)' : '';
    print(o, result, () => `${text(result, symbols(config))}${paperOnly}`);
  };
  const changed = (verb: string) => (r: AdminResult, sym: (t: number) => string) => `${verb} ${r.record!.id} (version ${r.record!.version}): ${r.record!.type} on ${r.record!.instruments.map(sym).join(', ')}; active ${r.record!.active ? 'yes' : 'no'}, live ${r.record!.live ? 'yes' : 'no'}`;

  cmd.command('list').description('every strategy: type, instruments, active, live, version, parameters').option('--json', 'as JSON').action((o: { json?: boolean }) =>
    go({ op: 'list' }, o, (r, sym) => (r.records!.length === 0 ? 'no strategies (add one: alpha-panda strategies add <id> --type <type> --instruments <symbols>)' : table([['ID', 'TYPE', 'INSTRUMENTS', 'ACTIVE', 'LIVE', 'VERSION', 'PARAMETERS'], ...r.records!.map((x) => row(x, sym))]))),
  );

  cmd.command('show <id>').description('one strategy, with what it holds').option('--json', 'as JSON').action((id: string, o: { json?: boolean }) =>
    go({ op: 'show', id }, o, (r, sym) => {
      const x = r.record!;
      const held = r.open!.length === 0 ? 'flat' : r.open!.map((p) => `${p.quantity} ${sym(p.instrument)} (${p.namespace})`).join(', ');
      const ledger = r.activity!.length === 0 ? 'nothing yet' : r.activity!.map((a) => `${a.namespace}: ${a.judged} signals judged, ${a.fills} fills, last ${a.lastAt}`).join('; ');
      return [`id          ${x.id}`, `type        ${x.type}`, `instruments ${x.instruments.map(sym).join(', ')}`, `active      ${x.active ? 'yes' : 'no'}`, `live        ${x.live ? 'yes' : 'no'}`, `version     ${x.version}`, `updated     ${new Date(x.updatedAt).toISOString()}`, `parameters  ${JSON.stringify(x.params)}`, `holds       ${held}`, `ledger      ${ledger}`].join('\n');
    }),
  );

  const changeOptions = (c: Command) =>
    c
      .option('--type <type>', `strategy type (${[...STRATEGIES.keys()].join(', ')})`)
      .option('--instruments <list>', 'trading symbols or instrument tokens, comma-separated', list)
      .option('--params <json>', 'all parameters, as a JSON object', paramsJson)
      .option('--set <key=value>', 'one parameter (repeatable)', setting)
      .option('--json', 'print the result as JSON');

  changeOptions(cmd.command('add <id>').description('add a strategy; it starts trading within a second').option('--live', 'also trade live (needs trading.liveEnabled too)').option('--disabled', 'add it switched off')).action((id: string, o: ChangeFlags) => go({ op: 'add', id, input: inputOf(o) }, o, changed('added')));
  changeOptions(cmd.command('update <id>').description('change its parameters, instruments or type; it carries its state over where type and instruments stay the same')).action((id: string, o: ChangeFlags) => {
    if (!o.type && !o.instruments && !o.params && !o.set) throw new InvalidArgumentError('update: nothing to change (give --params, --set, --instruments or --type)');
    return go({ op: 'update', id, input: inputOf(o) }, o, changed('updated'));
  });
  for (const [name, what] of [['enable', 'switch it on'], ['disable', 'switch it off: its actor stops (what it holds stays, and is reported)']] as const) {
    cmd.command(`${name} <id>`).description(what).option('--json', 'as JSON').action((id: string, o: { json?: boolean }) => go({ op: name, id }, o, changed(`${name}d`)));
  }
  cmd
    .command('live <on|off> <id>')
    .description('whether it also trades live (the global switch trading.liveEnabled must be on as well)')
    .option('--json', 'as JSON')
    .action((onOff: string, id: string, o: { json?: boolean }) => {
      if (onOff !== 'on' && onOff !== 'off') throw new InvalidArgumentError(`live takes on or off, got '${onOff}'`);
      return go({ op: 'live', id, on: onOff === 'on' }, o, changed(onOff === 'on' ? 'live on for' : 'live off for'));
    });
  cmd.command('remove <id>').description('remove it: its actor stops; what it still holds is reported').option('--json', 'as JSON').action((id: string, o: { json?: boolean }) =>
    go({ op: 'remove', id }, o, (r, sym) => {
      const base = `removed ${r.record!.id} (version ${r.record!.version})`;
      if (!r.open?.length) return `${base}: it held nothing`;
      return `${base}. It still holds ${r.open.map((p) => `${p.quantity} ${sym(p.instrument)} (${p.namespace})`).join(', ')}: nothing will close that for it now; close it at the broker, or add the strategy again to let it trade out`;
    }),
  );
  cmd.command('types').description('the strategy types and what they do').action(() => {
    process.stdout.write(`${table([...STRATEGIES.values()].map((s) => [s.name, s.description]))}\n`);
  });
  return cmd;
}
