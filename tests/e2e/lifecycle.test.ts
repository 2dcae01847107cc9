import { describe, expect, it } from 'vitest';
import { startMockBroker } from '../broker/mock-broker.ts';
import { privateBroker } from '../support/harness.ts';
import { spawnCli } from '../support/cli.ts';

/**
 * Every command ends when asked, at any phase, within the shutdown deadline (10 s by default): while
 * connecting to a broker that is not there, while consumer groups join, while trading, after the broker
 * has gone. A second signal exits at once. A broker unreachable for longer than its limit stops the
 * command with the reason.
 */
const NOWHERE = '127.0.0.1:1';
const STOP_WITHIN_MS = 10_000;

describe('stopping at every phase', () => {
  it('Ctrl-C while the command is still loading or just started: a clean stop, exit 0, with its report', async () => {
    const p = spawnCli(['run', '--no-status']);
    // Well inside the second or more the commands take to load (the signal handlers come first).
    await new Promise((r) => setTimeout(r, 600));
    p.kill('SIGINT');
    expect(await p.exited).toBe(0);
    // Stopped during start-up, or (on a fast machine) just after it: either way it says so on stdout.
    expect(p.out).toMatch(/stopped \(SIGINT\) during start-up: nothing traded|paper\s+TOTAL/);
  }, 30_000);

  it('Ctrl-C while connecting to an unreachable broker: out within the deadline, saying where it was', async () => {
    const p = spawnCli(['run', '--bus', 'kafka', '--brokers', NOWHERE]);
    await p.waitFor(() => /starting: .*broker unreachable for \d+ s: .*ECONNREFUSED/.test(p.err), 20_000, 'the status line to report the unreachable broker');
    p.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.stopMs!).toBeLessThan(STOP_WITHIN_MS);
    expect(p.out).toMatch(/stopped \(SIGINT\) during start-up, with 0 of \d+ consumer groups joined: nothing traded/);
  }, 90_000);

  it('Ctrl-C while the consumer groups are joining: out within the deadline', async () => {
    const broker = await privateBroker();
    try {
      const p = spawnCli(['run', '--bus', 'kafka', '--brokers', broker.bootstrap]);
      await p.waitFor(() => /starting: (connecting|joining consumer groups)/.test(p.err), 20_000, 'start-up on the status line');
      p.kill('SIGINT');
      expect(await p.exited).toBe(0);
      expect(p.stopMs!).toBeLessThan(STOP_WITHIN_MS);
    } finally {
      await broker.stop();
    }
  }, 90_000);

  it('SIGTERM while trading over Kafka: drains, commits, prints the summary; the status clock counts from launch', async () => {
    const broker = await privateBroker();
    try {
      const p = spawnCli(['run', '--bus', 'kafka', '--brokers', broker.bootstrap]);
      await p.waitFor(() => /fills [1-9]/.test(p.err), 45_000, 'fills on the status line');
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stopMs!).toBeLessThan(STOP_WITHIN_MS);
      expect(p.out).toMatch(/paper\s+TOTAL/);
      const seconds = [...p.err.matchAll(/^\[\s*(\d+)s\]/gm)].map((m) => Number(m[1]));
      // From launch: the commands load (a second or two) before the first line, so it does not say 0.
      expect(seconds[0]).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < seconds.length; i++) expect(seconds[i]!).toBeGreaterThan(seconds[i - 1]!);
      expect(p.err).toMatch(/starting: (connecting|joining consumer groups)[\s\S]*ticks\/s/);
    } finally {
      await broker.stop();
    }
  }, 90_000);

  it('the broker gone mid-run: the status line says for how long and what fails, and SIGTERM still ends the run with its summary', async () => {
    const broker = await startMockBroker(1);
    try {
      const p = spawnCli(['run', '--bus', 'kafka', '--brokers', broker.bootstrap]);
      await p.waitFor(() => /fills [1-9]/.test(p.err), 45_000, 'fills on the status line');
      await broker.stop();
      await p.waitFor(() => /ticks\/s .*broker unreachable for [1-9]\d* s: /.test(p.err), 30_000, 'the outage on the status line');
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stopMs!).toBeLessThan(STOP_WITHIN_MS);
      expect(p.out).toMatch(/paper\s+TOTAL/);
    } finally {
      await broker.stop();
    }
  }, 90_000);

  it('--duration ends a feed on time with the broker unreachable, exit 1: its ticks were never confirmed', async () => {
    const p = spawnCli(['feed', 'sim', '--bus', 'kafka', '--brokers', NOWHERE, '--duration', '3']);
    // From its first status line (the feed running), not from the spawn: Node's start is not the feed's.
    await p.waitFor(() => /published \d+ ticks/.test(p.err), 20_000, 'the feed to start');
    const started = Date.now();
    expect(await p.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(3_000 + STOP_WITHIN_MS);
    expect(p.err).toMatch(/alpha-panda stopped: \d+ ticks were not confirmed by the broker before the stop/);
  }, 90_000);

  it('a broker unreachable past kafka.unreachableExitMs stops the command, exit 1, with the reason', async () => {
    const started = Date.now();
    const p = spawnCli(['run', '--bus', 'kafka', '--brokers', NOWHERE, '--no-status'], { ALPHA_PANDA_KAFKA__UNREACHABLE_EXIT_MS: '2000' });
    expect(await p.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000 + STOP_WITHIN_MS);
    expect(p.err).toMatch(/alpha-panda stopped: the broker \(127\.0\.0\.1:1\) has been unreachable for \d+ s: .*ECONNREFUSED/);
  }, 90_000);

  it('a second signal exits at once, non-zero, while the first is still stopping', async () => {
    const p = spawnCli(['feed', 'sim', '--bus', 'kafka', '--brokers', NOWHERE]);
    await p.waitFor(() => /published [1-9]\d* ticks \| unconfirmed/.test(p.err), 20_000, 'the feed to run');
    p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300)); // let the first signal start the stop
    const second = Date.now();
    p.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(Date.now() - second).toBeLessThan(1_500);
    expect(p.err).toContain('second SIGINT: exiting now');
  }, 90_000);
});
