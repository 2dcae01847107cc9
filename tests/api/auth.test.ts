import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Login } from '../../src/api/login.ts';
import { hashPassword, verifyPassword } from '../../src/api/passwords.ts';
import { ApiProblem } from '../../src/api/problem.ts';
import { Tokens } from '../../src/api/tokens.ts';
import { apiUsers } from '../../src/api/users.ts';
import { TestClock } from '../../src/clock.ts';
import { ConfigError } from '../../src/errors.ts';
import { rootLogger } from '../../src/log.ts';

const SECRET = 'a-test-signing-key-of-at-least-32-characters';
const TTL = { access: 900, refresh: 3600, stream: 60 };

async function problemOf(p: Promise<unknown>): Promise<ApiProblem> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ApiProblem);
  return e as ApiProblem;
}

describe('API passwords', () => {
  it('a scrypt hash verifies its own password only, and a malformed hash never matches', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'scrypt$1$2')).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash); // salted
  });

  it('API_USERS entries are checked and each bad one is named', async () => {
    const hash = await hashPassword('password-1');
    const users = await apiUsers({ API_USERS: `alice:${hash}, bob:${hash}` });
    expect([...users.hashes.keys()]).toEqual(['alice', 'bob']);
    expect(users.generated).toBeUndefined();
    const bad = await apiUsers({ API_USERS: `alice:plaintext,:${hash},alice:${hash},carol:${hash},carol:${hash}` }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as ConfigError).issues).toEqual([
      "API_USERS entry 1 (alice): not a password hash: make one with 'alpha-panda api hash-password'",
      "API_USERS entry 2: the user name must be 1-64 letters, digits or . _ @ - before a ':'",
      'API_USERS: user carol is listed twice',
    ]);
  });

  it('API_USERS that names nobody, or a hash whose cost this server would not run, is refused at start', async () => {
    await expect(apiUsers({ API_USERS: ' , ' })).rejects.toThrow(/API_USERS is set but names no user/);
    const [, , , , salt, key] = (await hashPassword('password-1')).split('$');
    for (const cost of ['1$1$1', '4194304$8$1', '32768$8$64', '30000$8$1']) {
      await expect(apiUsers({ API_USERS: `alice:scrypt$${cost}$${salt}$${key}` }), cost).rejects.toThrow(/not a password hash/);
    }
  });

  it('without API_USERS one admin gets a random password for this process', async () => {
    const a = await apiUsers({});
    const b = await apiUsers({});
    expect(a.generated!.user).toBe('admin');
    expect(a.generated!.password).not.toBe(b.generated!.password);
    expect(await verifyPassword(a.generated!.password, a.hashes.get('admin')!)).toBe(true);
  });
});

describe('API tokens', () => {
  it('an access token is accepted until it expires on the injected clock, then refused as expired', async () => {
    const clock = new TestClock(Date.UTC(2026, 11, 1, 4, 0));
    const tokens = new Tokens(SECRET, clock, TTL);
    const { token, expiresIn } = await tokens.issue('alice', 'access');
    expect(expiresIn).toBe(900);
    expect(await tokens.verify(token, 'access')).toBe('alice');
    clock.advance(899_000);
    expect(await tokens.verify(token, 'access')).toBe('alice');
    clock.advance(2000);
    expect((await problemOf(tokens.verify(token, 'access'))).code).toBe('token_expired');
  });

  it('a token is refused when unsigned (alg none), tampered, signed with another key or made for another use', async () => {
    const clock = new TestClock(Date.UTC(2026, 11, 1, 4, 0));
    const tokens = new Tokens(SECRET, clock, TTL);
    const now = Math.floor(clock.now() / 1000);
    const claims = { use: 'access' };
    const unsigned = new UnsecuredJWT(claims).setSubject('alice').setIssuer('alpha-panda').setAudience('alpha-panda-api').setIssuedAt(now).setExpirationTime(now + 600).encode();
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('alpha-panda').setAudience('alpha-panda-api').setIssuedAt(now).setExpirationTime(now + 600).sign(new TextEncoder().encode('another-key-another-key-another-key!'));
    const good = (await tokens.issue('alice', 'access')).token;
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url'), s].join('.');
    const refresh = (await tokens.issue('alice', 'refresh')).token;
    for (const [what, token] of [['unsigned', unsigned], ['signed with another key', otherKey], ['tampered', tampered], ['a refresh token', refresh], ['garbage', 'not.a.jwt']] as const) {
      const problem = await problemOf(tokens.verify(token, 'access'));
      expect(problem.code, what).toBe('token_invalid');
      expect(problem.status, what).toBe(401);
    }
    expect(await tokens.verify(good, 'access')).toBe('alice');
  });
});

describe('API log-in', () => {
  const limits = { attempts: 3, attemptsPerAddress: 5, windowS: 60 };

  it('a right password gets a token pair whose refresh token gets a new pair; a wrong one or an unknown user is login_failed', async () => {
    const tokens = new Tokens(SECRET, new TestClock(Date.now()), TTL);
    const login = new Login(await apiUsers({ API_USERS: `alice:${await hashPassword('password-1')}` }), tokens, limits, rootLogger);
    const pair = await login.logIn('alice', 'password-1', '10.0.0.1');
    expect(await tokens.verify(pair.access_token, 'access')).toBe('alice');
    const again = await login.refresh(pair.refresh_token);
    expect(await tokens.verify(again.access_token, 'access')).toBe('alice');
    expect((await problemOf(login.refresh(pair.access_token))).code).toBe('token_invalid');
    expect((await problemOf(login.logIn('alice', 'wrong', '10.0.0.1'))).code).toBe('login_failed');
    expect((await problemOf(login.logIn('nobody', 'password-1', '10.0.0.1'))).code).toBe('login_failed');
  });

  it('after too many failed log-ins even the right password gets 429 with Retry-After, for that user and address only', async () => {
    const tokens = new Tokens(SECRET, new TestClock(Date.now()), TTL);
    const hash = await hashPassword('password-1');
    const login = new Login(await apiUsers({ API_USERS: `alice:${hash},bob:${hash}` }), tokens, limits, rootLogger);
    for (let i = 0; i < 3; i++) expect((await problemOf(login.logIn('alice', `guess-${i}`, '10.0.0.1'))).code).toBe('login_failed');
    const limited = await problemOf(login.logIn('alice', 'password-1', '10.0.0.1'));
    expect(limited.code).toBe('too_many_attempts');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address for alice, and bob from the same address, are not held back by alice's count.
    expect((await login.logIn('alice', 'password-1', '10.0.0.2')).user).toBe('alice');
    expect((await login.logIn('bob', 'password-1', '10.0.0.1')).user).toBe('bob');
    // The address as a whole: 5 failures across users, then every user from it waits.
    for (let i = 0; i < 2; i++) await problemOf(login.logIn('bob', `guess-${i}`, '10.0.0.1'));
    expect((await problemOf(login.logIn('bob', 'password-1', '10.0.0.1'))).code).toBe('too_many_attempts');
  });

  it('a burst of parallel guesses is held to the limit: each is counted before its password is checked', async () => {
    const tokens = new Tokens(SECRET, new TestClock(Date.now()), TTL);
    const login = new Login(await apiUsers({ API_USERS: `alice:${await hashPassword('password-1')}` }), tokens, limits, rootLogger);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => problemOf(login.logIn('alice', `guess-${i}`, '10.0.0.9'))));
    const codes = answers.map((p) => p.code);
    expect(codes.filter((c) => c === 'login_failed')).toHaveLength(3);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(17);
  });
});
