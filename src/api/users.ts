import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { hashPassword, isPasswordHash } from './passwords.ts';
import { USERS_VAR } from './settings.ts';

/** Who may log in: user name -> scrypt hash. */
export interface ApiUsers {
  readonly hashes: ReadonlyMap<string, string>;
  /** Made for this process because API_USERS is not set: printed once at start, never logged. */
  readonly generated?: { readonly user: string; readonly password: string };
}

/**
 * The users from API_USERS (`name:hash,name:hash`, hashes from `alpha-panda api hash-password`). A
 * malformed entry is a configuration error naming it. Without the variable, one user `admin` with a
 * random password for this process, so `npm start` serves a dashboard nobody else on the machine can drive.
 */
export async function apiUsers(env: Record<string, string | undefined> = process.env): Promise<ApiUsers> {
  const raw = env[USERS_VAR]?.trim();
  if (!raw) {
    const password = randomBytes(12).toString('base64url');
    return { hashes: new Map([['admin', await hashPassword(password)]]), generated: { user: 'admin', password } };
  }
  const hashes = new Map<string, string>();
  const issues: string[] = [];
  raw.split(',').map((e) => e.trim()).filter(Boolean).forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    const hash = colon > 0 ? entry.slice(colon + 1) : '';
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) issues.push(`${USERS_VAR} entry ${i + 1}: the user name must be 1-64 letters, digits or . _ @ - before a ':'`);
    else if (!isPasswordHash(hash)) issues.push(`${USERS_VAR} entry ${i + 1} (${name}): not a password hash: make one with 'alpha-panda api hash-password'`);
    else if (hashes.has(name)) issues.push(`${USERS_VAR}: user ${name} is listed twice`);
    else hashes.set(name, hash);
  });
  if (issues.length === 0 && hashes.size === 0) issues.push(`${USERS_VAR} is set but names no user: 'name:<hash>,...' (or unset it for a generated admin password)`);
  if (issues.length > 0) throw new ConfigError(issues);
  return { hashes };
}
