import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import { Config } from './schema.ts';

export const DEFAULTS_FILE = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));

type Tree = Record<string, unknown>;
type Env = Record<string, string | undefined>;

/** The named variables: standard names where a standard exists. */
const NAMED: Record<string, { path: string; list?: boolean }> = {
  BUS: { path: 'bus' },
  KAFKA_BROKERS: { path: 'kafka.brokers', list: true },
  KAFKA_CLIENT_ID: { path: 'kafka.clientId' },
  KAFKA_GROUP_PREFIX: { path: 'kafka.groupPrefix' },
  KAFKA_IDEMPOTENT: { path: 'kafka.idempotent' },
  KAFKA_CREATE_TOPICS: { path: 'kafka.createTopics' },
  DATABASE_URL: { path: 'database.url' },
  DATABASE_DIR: { path: 'database.dir' },
  INSTANCE_ID: { path: 'instance.id' },
  OTEL_SERVICE_NAME: { path: 'telemetry.serviceName' },
  OTEL_TRACES_EXPORTER: { path: 'telemetry.exporter' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { path: 'telemetry.otlpEndpoint' },
  HTTP_PORT: { path: 'http.port' },
  HTTP_HOST: { path: 'http.host' },
  TRACE_UI_URL: { path: 'http.traceUiUrl' },
  LOG_LEVEL: { path: 'log.level' },
  LOG_FILE: { path: 'log.file' },
  KITE_API_KEY: { path: 'zerodha.apiKey' },
  KITE_USER_ID: { path: 'zerodha.userId' },
  KITE_CALLBACK_PORT: { path: 'zerodha.callbackPort' },
  KITE_CALLBACK_HOST: { path: 'zerodha.callbackHost' },
};
const PREFIX = 'ALPHA_PANDA_';

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A variable's text as YAML scalar: numbers, booleans and null come out typed, anything else as text. */
function scalar(text: string): unknown {
  try {
    const v: unknown = parseYaml(text);
    return v === undefined ? text : v;
  } catch {
    return text;
  }
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Tree;
  }
  node[keys.at(-1)!] = value;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? merge(b as Tree, v as Tree) : v;
  }
  return out;
}

function readYaml(file: string): Tree {
  try {
    return (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Tree;
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
}

/**
 * Defaults from config/default.yaml, then ALPHA_PANDA_CONFIG's file, then environment variables,
 * validated by zod. A bad value throws a ConfigError naming the key (and the variable it came from).
 */
export function loadConfig(env: Env = process.env, overrides: Tree = {}): Config {
  let tree = readYaml(DEFAULTS_FILE);
  if (env.ALPHA_PANDA_CONFIG) tree = merge(tree, readYaml(env.ALPHA_PANDA_CONFIG));
  const sources = new Map<string, string>();
  for (const [name, target] of Object.entries(NAMED)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(tree, target.path, target.list ? raw.split(',').map((s) => s.trim()).filter(Boolean) : scalar(raw));
    sources.set(target.path, name);
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || name === 'ALPHA_PANDA_CONFIG' || raw === undefined) continue;
    const path = name.slice(PREFIX.length).split('__').map(camel).join('.');
    setPath(tree, path, scalar(raw));
    sources.set(path, name);
  }
  tree = merge(tree, overrides);
  const parsed = Config.safeParse(tree);
  if (parsed.success) return parsed.data;
  const sourceOf = (path: string) => [...sources].find(([p]) => path === p || path.startsWith(`${p}.`))?.[1];
  const where = (path: string) => {
    const from = sourceOf(path);
    return from ? `${from} (${path})` : path;
  };
  throw new ConfigError(
    parsed.error.issues.flatMap((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        // Name each unknown key (and the variable or file it came from), not the whole section.
        return issue.keys.map((k) => {
          const full = path ? `${path}.${k}` : k;
          const from = sourceOf(full);
          return from ? `${from}: no such setting (${full})` : `${full}: no such setting${env.ALPHA_PANDA_CONFIG ? ` (in ${env.ALPHA_PANDA_CONFIG} or the defaults)` : ''}`;
        });
      }
      const got = issue.path.reduce<unknown>((node, k) => (node as Tree | undefined)?.[k as string], tree);
      const shown = got === undefined || (typeof got === 'object' && got !== null) ? '' : `, got ${JSON.stringify(got)}`;
      return [`${where(path)}: ${issue.message}${shown}`];
    }),
  );
}
