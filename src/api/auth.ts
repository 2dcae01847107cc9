import type { Clock } from '../clock.ts';
import { ConfigError } from '../errors.ts';
import { keepSecret, type Logger } from '../log.ts';
import { Login } from './login.ts';
import { JWT_SECRET_VAR, type HttpSettings } from './settings.ts';
import { Tokens } from './tokens.ts';
import { apiUsers } from './users.ts';

export interface ApiAuth {
  readonly tokens: Tokens;
  readonly login: Login;
  /** Made for this process because API_USERS is not set (printed once at start). */
  readonly generated: { readonly user: string; readonly password: string } | undefined;
}

/**
 * Who may log in and the key tokens are signed with, from the environment: checked before anything
 * starts, so a bad API_USERS or API_JWT_SECRET stops the run at once with what is wrong. The key and a
 * generated password are secrets every log line is scrubbed of.
 */
export async function apiAuth(settings: HttpSettings, clock: Clock, log: Logger, env: Record<string, string | undefined> = process.env): Promise<ApiAuth> {
  const secret = env[JWT_SECRET_VAR]?.trim() || undefined;
  if (secret !== undefined && secret.length < 32) throw new ConfigError([`${JWT_SECRET_VAR} must be at least 32 characters (it signs the API's tokens): e.g. openssl rand -base64 32`]);
  const users = await apiUsers(env);
  if (!secret) log.warn(`${JWT_SECRET_VAR} is not set: API tokens are signed with a key made for this process, so they end with it and other instances refuse them`);
  const key = secret ?? Tokens.randomSecret();
  keepSecret(key);
  if (users.generated) keepSecret(users.generated.password);
  const tokens = new Tokens(key, clock, { access: settings.accessTtlS, refresh: settings.refreshTtlS, stream: settings.streamTicketTtlS });
  const login = new Login(users, tokens, { attempts: settings.loginAttempts, attemptsPerAddress: settings.loginAttemptsPerAddress, windowS: settings.loginWindowS }, log.child({ component: 'api' }));
  return { tokens, login, generated: users.generated };
}
