import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

describe('configuration', () => {
  it('runs embedded with no configuration at all', () => {
    const c = loadConfig({});
    expect(c.bus).toBe('memory');
    expect(c.database.url).toBeNull();
    expect(c.supervision.maxRestarts).toBe(10);
  });

  it('takes the standard variables and ALPHA_PANDA_<SECTION>__<KEY> overrides', () => {
    const c = loadConfig({ BUS: 'kafka', KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_IDEMPOTENT: 'true', DATABASE_URL: 'postgres://u@h/db', ALPHA_PANDA_SUPERVISION__MAX_RESTARTS: '3', ALPHA_PANDA_SUPERVISION__BACKOFF__MIN_MS: '50' });
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.kafka.idempotent).toBe(true);
    expect(c.database.url).toBe('postgres://u@h/db');
    expect(c.supervision.maxRestarts).toBe(3);
    expect(c.supervision.backoff.minMs).toBe(50);
  });

  it('stops with a message naming each bad key, the variable it came from and the value', () => {
    try {
      loadConfig({ KAFKA_BROKERS: 'nohost', BUS: 'carrier-pigeon', ALPHA_PANDA_CONSUMER__MAILBOX_BOND: '5' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues.join('\n');
      expect(issues).toContain('KAFKA_BROKERS (kafka.brokers.0): expected host:port, got "nohost"');
      expect(issues).toContain('BUS (bus)');
      expect(issues).toContain('carrier-pigeon');
      expect(issues).toMatch(/mailboxBond/);
    }
  });

  it('takes workers as auto or a number of threads, and names what it expects otherwise', () => {
    expect(loadConfig({}).workers).toBe('auto');
    expect(loadConfig({ ALPHA_PANDA_WORKERS: '3' }).workers).toBe(3);
    expect(() => loadConfig({ ALPHA_PANDA_WORKERS: 'many' })).toThrow(/ALPHA_PANDA_WORKERS \(workers\): auto, or a whole number of threads from 1 to 64, got "many"/);
    expect(() => loadConfig({ ALPHA_PANDA_WORKERS: '0' })).toThrow(/ALPHA_PANDA_WORKERS \(workers\): .*>=1, got 0/);
  });

  it('refuses a low-water mark at or above the mailbox bound', () => {
    expect(() => loadConfig({ ALPHA_PANDA_CONSUMER__MAILBOX_LOW_WATER: '5000' })).toThrow(/mailboxLowWater must be below mailboxBound/);
  });
});
