import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The image and its containers through podman, with the machine's shared scripts (../shared/container:
 * setup-podman, node-base-image, build-image) as these machines need them: no Docker engine, no registry.
 */
export const IMAGE = 'localhost/alpha-panda:test';
export const BASE_IMAGE = 'docker.io/library/node:22-bookworm-slim';

/** Where the shared scripts are: ALPHA_PANDA_CONTAINER_SCRIPTS, else ../shared/container beside the checkout or /work/shared/container. */
export function scriptsDir(): string {
  const candidates = [process.env.ALPHA_PANDA_CONTAINER_SCRIPTS, resolve('../shared/container'), '/work/shared/container'].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(resolve(c, 'build-image')));
  if (!found) throw new Error(`the container scripts (setup-podman, node-base-image, build-image) are not in any of: ${candidates.join(', ')}; set ALPHA_PANDA_CONTAINER_SCRIPTS`);
  return found;
}

export function sh(cmd: string, args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number; check?: boolean } = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 });
  const result = { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
  if ((options.check ?? true) && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${result.err.slice(-2000) || result.out.slice(-2000)}`);
  return result;
}

export const podman = (...args: string[]) => sh('podman', args);

/** Installs podman (once), makes the base image (once per machine) and builds the Dockerfile as it is. */
export function buildImage(): { seconds: { setup: number; base: number; build: number } } {
  const dir = scriptsDir();
  const timed = (f: () => void) => {
    const t = Date.now();
    f();
    return Math.round((Date.now() - t) / 100) / 10;
  };
  const setup = timed(() => sh('bash', [resolve(dir, 'setup-podman')]));
  const base = timed(() => sh('bash', [resolve(dir, 'node-base-image')]));
  // The docker image format: OCI images carry no HEALTHCHECK.
  const build = timed(() => sh('bash', [resolve(dir, 'build-image'), '.', IMAGE], { env: { BUILDAH_FORMAT: 'docker' } }));
  return { seconds: { setup, base, build } };
}

/** Bytes of an image, as podman reports it. */
export function imageSize(image: string): number {
  return Number(podman('image', 'inspect', '--format', '{{.Size}}', image).out.trim());
}

export interface ComposeService {
  readonly command: string[];
  readonly environment: Record<string, string>;
  readonly stopGraceSeconds: number;
}

/** A service of docker-compose.yml as `docker compose` would start it: its command, environment and stop grace. */
/** `${VAR:-default}` and `${VAR}` as compose interpolates them, from this process's environment. */
const interpolate = (text: string) => text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => process.env[name] || (fallback ?? ''));

export function composeService(name: string, file = 'docker-compose.yml'): ComposeService {
  const doc = parse(readFileSync(file, 'utf8')) as { services: Record<string, { command?: string[] | string; environment?: Record<string, unknown> | string[]; stop_grace_period?: string }> };
  const s = doc.services[name];
  if (!s) throw new Error(`${file} has no service '${name}'`);
  const env: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const kv of s.environment) env[kv.slice(0, kv.indexOf('='))] = interpolate(kv.slice(kv.indexOf('=') + 1));
  } else for (const [k, v] of Object.entries(s.environment ?? {})) env[k] = interpolate(String(v));
  const command = (typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? [])).map(interpolate);
  const grace = /^(\d+)s$/.exec(s.stop_grace_period ?? '10s');
  return { command, environment: env, stopGraceSeconds: grace ? Number(grace[1]) : 10 };
}

/** The compose file's service names mapped to this machine (on the host network everything is loopback). */
export const HOSTS = ['redpanda', 'postgres', 'jaeger'];

/** Starts a service's container detached, as compose would (host names mapped to loopback), and returns its name. */
export function startService(container: string, hostname: string, service: ComposeService, extraEnv: Record<string, string> = {}): string {
  const env = Object.entries({ ...service.environment, ...extraEnv }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  podman('run', '-d', '--name', container, '--hostname', hostname, '--network', 'host', ...HOSTS.flatMap((h) => ['--add-host', `${h}:127.0.0.1`]), ...env, IMAGE, ...service.command);
  return container;
}

export const logsOf = (container: string) => {
  const r = sh('podman', ['logs', container], { check: false });
  return r.out + r.err;
};

export const exitCodeOf = (container: string) => Number(podman('inspect', '--format', '{{.State.ExitCode}}', container).out.trim());

export function removeContainers(names: readonly string[]): void {
  for (const n of names) sh('podman', ['rm', '-f', '-t', '0', n], { check: false });
}
