import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kiteCredentials } from '../../src/app/live.ts';
import { loadConfig } from '../../src/config/load.ts';
import { KiteError } from '../../src/errors.ts';
import { keepSecret, loggerOptions } from '../../src/log.ts';
import { kiteErrorOf } from '../../src/zerodha/kite-api.ts';

/** A logger made as the system makes its own, writing to an array. */
function capture() {
  const lines: string[] = [];
  const log = pino(loggerOptions('debug'), { write: (line: string) => void lines.push(line) });
  return { log, text: () => lines.join('') };
}

describe('logs', () => {
  it('never carry a Kite access token, whatever path it takes into a line', () => {
    const token = 'q1w2e3r4t5y6u7i8o9p0tokenABCDEF';
    keepSecret(token);
    const { log, text } = capture();
    log.info(`token in the message ${token}`);
    log.info({ session: { user: 'AB1234', accessToken: token } }, 'an object field');
    log.child({ access_token: token }).warn('a child binding');
    log.error({ deep: { a: { b: { c: token } } } }, 'nested beyond any key path');
    log.error({ err: new Error(`request failed with token ${token}`) }, 'an error message');
    const axiosLike = Object.assign(new Error('socket hang up'), { config: { headers: { Authorization: `token testkey:${token}` } } });
    log.error({ err: kiteErrorOf(axiosLike) }, 'a Kite error caused by the client');
    log.error({ err: new KiteError('TokenException', 'expired', { retriable: false, cause: { token } }) }, 'a cause');
    const out = text();
    expect(out).not.toContain(token);
    expect(out.split('[redacted]').length - 1).toBeGreaterThanOrEqual(4);
    // The lines are still there, with everything else in them.
    expect(out).toContain('nested beyond any key path');
    expect(out).toContain('AB1234');
  });

  it('never carry the API secret, the session key or a password', () => {
    const secret = 'kite-app-secret-0123456789';
    process.env.KITE_API_SECRET = secret;
    kiteCredentials(loadConfig({ KITE_API_KEY: 'testkey' }));
    const { log, text } = capture();
    log.info({ config: { zerodha: { apiSecret: secret } } }, `secret ${secret}`);
    log.info({ user: { password: 'hunter2-hunter2' } }, 'a password by its key');
    expect(text()).not.toContain(secret);
    expect(text()).not.toContain('hunter2-hunter2');
  });

  it('never carry a JWT, a refresh token, a password or the headers that carry credentials, by key, at any of three levels', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const refresh = 'refresh-9f8e7d6c5b4a';
    const { log, text } = capture();
    log.info({ token: jwt }, 'a token at the top');
    log.info({ session: { access_token: jwt, refresh_token: refresh, refreshToken: refresh } }, 'tokens one level down');
    log.info({ login: { form: { password: 'correct-horse-battery' } } }, 'a password two levels down');
    log.info({ req: { headers: { authorization: `Bearer ${jwt}`, cookie: `ap_session=${jwt}` } } }, 'request headers as Node gives them');
    log.info({ req: { headers: { Authorization: `Bearer ${jwt}`, Cookie: `ap_session=${jwt}` } } }, 'request headers as a client writes them');
    log.info({ res: { headers: { 'set-cookie': `ap_refresh=${refresh}; HttpOnly` } } }, 'a response setting a cookie');
    log.child({ id_token: jwt }).info('a child binding');
    const out = text();
    expect(out).not.toContain(jwt);
    expect(out).not.toContain(refresh);
    expect(out).not.toContain('correct-horse-battery');
    expect(out).not.toContain('ap_session');
    // Every line is still written, with what is not secret in it.
    for (const msg of ['a token at the top', 'tokens one level down', 'a password two levels down', 'request headers as Node gives them', 'request headers as a client writes them', 'a response setting a cookie', 'a child binding']) expect(out).toContain(msg);
    expect(out.split('[redacted]').length - 1).toBe(11);
  });
});
