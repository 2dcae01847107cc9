import { describe, expect, it } from 'vitest';
import { cli, NIFTY_DAY_ARGS, spawnCli } from '../support/cli.ts';

describe('alpha-panda CLI', () => {
  it('explains itself with --help, on every command, and says its version', () => {
    expect(cli(['--help']).out).toMatch(/run \[options\].*replay \[options\] <file>.*feed \[options\] <source>/s);
    expect(cli(['run', '--help']).out).toContain('--duration <seconds>');
    expect(cli(['replay', '--help']).out).toContain('--as <symbol>');
    expect(cli(['--version'])).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('run --duration trades the simulated market embedded and stops by itself with the per-strategy summary on stdout only', () => {
    const r = cli(['run', '--duration', '3', '--no-status']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/paper\s+momentum-reliance\s+RELIANCE/);
    expect(r.out).toMatch(/paper\s+TOTAL/);
  });

  it('--json prints the summary as one JSON document', () => {
    const r = cli(['run', '--duration', '2', '--no-status', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { stoppedBy: string; summary: { strategies: Array<{ strategy: string; cash: number }>; totals: Array<{ namespace: string }> } };
    expect(doc.stoppedBy).toBe('duration');
    expect(doc.summary.strategies.map((s) => s.strategy)).toContain('momentum-reliance');
    expect(doc.summary.totals.map((t) => t.namespace)).toEqual(['paper']);
  });

  it('logs go to stderr, as JSON when stderr is not a terminal; stdout holds the summary alone', () => {
    const r = cli(['run', '--duration', '2', '--no-status'], { LOG_LEVEL: 'info' });
    expect(r.code).toBe(0);
    const lines = r.err.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(r.out).not.toContain('"level"');
  });

  it('Ctrl-C ends a run cleanly and prints the summary', async () => {
    const p = spawnCli(['run']);
    await p.waitFor(() => /fills [1-9]/.test(p.err), 30_000, 'the first fills on the status line');
    p.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.out).toMatch(/paper\s+TOTAL/);
  });

  it('replays the recorded NIFTY day as its future and says what it replayed', () => {
    const r = cli(['replay', ...NIFTY_DAY_ARGS, '--no-status']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/paper\s+meanrev-nifty\s+NIFTY25AUGFUT/);
    expect(r.out).toContain('replayed 296 ticks (ohlc, 1 gap(s) in the data)');
  });

  it('keeps trading, and finishes with its summary, when the tracing backend is unreachable', () => {
    const r = cli(['replay', ...NIFTY_DAY_ARGS, '--no-status'], { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('replayed 296 ticks');
    expect(r.err).toContain('could not flush spans to the tracing backend');
  });

  it('stops on bad input with one line naming what is wrong, exit 2, nothing started', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['replay', 'no-such-file.csv'], {}, /cannot read replay file no-such-file.csv/],
      [['run', '--duration', 'soon'], {}, /--duration must be a positive number, got 'soon'/],
      [['feed', 'sim'], {}, /no other process can read the ticks/],
      [['run', '--duration', '1'], { ALPHA_PANDA_RISK__MAX_QUANTITY_PER_ORDER: '-5' }, /ALPHA_PANDA_RISK__MAX_QUANTITY_PER_ORDER \(risk\.maxQuantityPerOrder\)/],
      [['run', '--feed', 'replay'], {}, /--feed replay needs --file <path>/],
      [['run', '--duration', '1'], { LOG_LEVEL: 'verbose' }, /LOG_LEVEL \(log\.level\).*got "verbose"/],
      [['run', '--duration', '1'], { ALPHA_PANDA_RISK__NO_SUCH_KEY: '1' }, /ALPHA_PANDA_RISK__NO_SUCH_KEY: no such setting \(risk\.noSuchKey\)/],
      [['frobnicate'], {}, /unknown command 'frobnicate'/],
      [['run', '--strategies', 'tests/fixtures/no-strategies.yaml', '--duration', '1'], {}, /no enabled strategy/],
      [['run', '--strategies', 'tests/fixtures/index-strategy.yaml', '--duration', '1'], {}, /NIFTY 50 is an index, which no broker accepts an order for/],
    ];
    for (const [args, env, message] of cases) {
      const r = cli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err, args.join(' ')).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.out).toBe('');
    }
    // Ten processes one after another, each loading the whole CLI: on a loaded machine that passes 30 s.
  }, 180_000);
});
