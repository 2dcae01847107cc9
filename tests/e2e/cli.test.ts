import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The CLI as a user runs it, on this Node (22, from the `node` devDependency). */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, VITEST: '', LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('alpha-panda CLI', () => {
  it('explains itself with --help, on every command', () => {
    expect(cli(['--help']).out).toMatch(/run \[options\].*replay \[options\] <file>/s);
    expect(cli(['run', '--help']).out).toContain('--duration <seconds>');
    expect(cli(['replay', '--help']).out).toContain('--pace <pace>');
  });

  it('run --duration trades the simulated market embedded and stops by itself with the per-strategy summary', () => {
    const r = cli(['run', '--duration', '3', '--no-status']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/paper\s+momentum-reliance\s+RELIANCE/);
    expect(r.out).toMatch(/paper\s+TOTAL/);
  });

  it('Ctrl-C ends a run cleanly and prints the summary', async () => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'run', '--no-status'], { env: { ...process.env, VITEST: '', LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => setTimeout(r, 4000));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/paper\s+TOTAL/);
  });

  it('replay prints what it replayed', () => {
    const r = cli(['replay', 'data/nifty50-5min-2025-08-11.csv', '--no-status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('replayed 296 ticks (ohlc, 1 gap(s) in the data)');
  });

  it('keeps trading, and finishes with its summary, when the tracing backend is unreachable', () => {
    const r = cli(['replay', 'data/nifty50-5min-2025-08-11.csv', '--no-status'], { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('replayed 296 ticks');
    expect(r.out).toContain('could not flush spans to the tracing backend');
  });

  it('stops on bad input with a message naming what is wrong', () => {
    expect(cli(['replay', 'no-such-file.csv'])).toMatchObject({ code: 2, err: expect.stringContaining('cannot read replay file no-such-file.csv') });
    expect(cli(['run', '--duration', 'soon'])).toMatchObject({ code: 2, err: expect.stringContaining("--duration must be a positive number, got 'soon'") });
    expect(cli(['feed', 'sim'])).toMatchObject({ code: 2, err: expect.stringContaining('no other process can read the ticks') });
    const bad = cli(['run', '--duration', '1'], { ALPHA_PANDA_RISK__MAX_QUANTITY_PER_ORDER: '-5' });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('ALPHA_PANDA_RISK__MAX_QUANTITY_PER_ORDER (risk.maxQuantityPerOrder)');
  });
});
