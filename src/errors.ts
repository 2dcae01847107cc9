/**
 * Every error class the system throws. Each says whether retrying can help (`retriable`); supervisors and
 * dead-letter routing read that flag instead of matching messages. Denials and rejections are events with
 * reason codes, never errors: an error here means a bug or an outage.
 */
export class AlphaPandaError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Configuration that fails validation at start-up. `issues` name each key and what is wrong. */
export class ConfigError extends AlphaPandaError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

export type DecodeErrorKind = 'not_json' | 'schema_violation' | 'unknown_type' | 'unsupported_version' | 'wrong_topic';

/** Bytes that are not a valid event for the topic they arrived on. Never retriable: the bytes will not change. */
export class DecodeError extends AlphaPandaError {
  readonly kind: DecodeErrorKind;
  readonly path: string | undefined;
  constructor(kind: DecodeErrorKind, message: string, path?: string) {
    super(message);
    this.kind = kind;
    this.path = path;
  }
}

/** A message addressed to an actor that has stopped. */
export class ActorStoppedError extends AlphaPandaError {
  constructor(actorPath: string) {
    super(`actor ${actorPath} is stopped`);
  }
}

/** A supervisor restarted its children more often than its intensity allows and gave up. */
export class RestartIntensityExceeded extends AlphaPandaError {
  constructor(supervisor: string, restarts: number, withinMs: number, cause: unknown) {
    super(`supervisor ${supervisor} exceeded ${restarts} restarts within ${withinMs} ms`, { cause });
  }
}

/** A transport (Kafka or in-process) failed to send or consume. Usually an outage: retriable. */
export class TransportError extends AlphaPandaError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** The system is shutting down; work handed over now is refused, not lost. */
export class ShuttingDownError extends AlphaPandaError {
  constructor(what: string) {
    super(`${what}: shutting down`, { retriable: true });
  }
}

/** The broker could not be reached for longer than the configured limit: the command gives up. */
export class BrokerUnreachable extends AlphaPandaError {
  constructor(brokers: readonly string[], forMs: number, lastError: string) {
    super(`the broker (${brokers.join(', ')}) has been unreachable for ${Math.round(forMs / 1000)} s: ${lastError}`, { retriable: true });
  }
}

/** A feed stopped with ticks the broker never confirmed: they are lost (live ticks are not replayed). */
export class FeedIncomplete extends AlphaPandaError {
  constructor(unconfirmed: number) {
    super(`${unconfirmed} ticks were not confirmed by the broker before the stop`, { retriable: true });
  }
}

/** The embedded database's folder is open in another process (PGlite cannot share it). */
export class DatabaseLocked extends AlphaPandaError {
  readonly pid: number;
  constructor(dir: string, pid: number, since: string) {
    super(`the embedded database in ${dir} is in use by process ${pid} (since ${since}): stop it first, or give each process its own DATABASE_URL (PostgreSQL) to share one database`);
    this.pid = pid;
  }
}

/** `alpha-panda health`: a check failed (the reasons, joined). */
export class Unhealthy extends AlphaPandaError {
  constructor(reasons: string) {
    super(`unhealthy: ${reasons}`, { retriable: true });
  }
}

/** The database could not be reached or refused a statement it should take. */
export class DatabaseError extends AlphaPandaError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** A start (or a wait inside it) was ended by a signal or a time limit before it finished. */
export class StartAborted extends AlphaPandaError {
  constructor(when: string) {
    super(`start-up interrupted ${when}`);
  }
}

/** What was asked for is not there (a chain no log or ledger holds): said in one line, exit 1. */
export class NotFound extends AlphaPandaError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** Whether an unknown thrown value may succeed on a retry. Errors from outside default to retriable. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof AlphaPandaError) return error.retriable;
  if (error && typeof error === 'object' && 'retriable' in error) return Boolean((error as { retriable: unknown }).retriable);
  return true;
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A strategy asked for something the system cannot do (a bug in the strategy): never retried. */
export class StrategyError extends AlphaPandaError {
  constructor(strategyId: string, message: string) {
    super(`strategy ${strategyId}: ${message}`, { retriable: false });
  }
}

/** Input data that cannot be used (a replay file, a strategies file): `issues` name the file, line and field. */
export class InputError extends AlphaPandaError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid input:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

/** What was asked for does not exist (a strategy id): input, named in `issues`. */
export class NotFoundError extends InputError {}

/** What was asked for clashes with what exists (a strategy id taken): input, named in `issues`. */
export class ConflictError extends InputError {}

/** Kite's error types, as its API names them, plus what the client itself reports. */
export type KiteErrorType = 'TokenException' | 'PermissionException' | 'UserException' | 'InputException' | 'OrderException' | 'MarginException' | 'HoldingException' | 'NetworkException' | 'DataException' | 'GeneralException';

/**
 * A Kite API call that failed. `retriable`: a network fault, a 429 or a 5xx, where the same request may
 * succeed later (an order placement is looked up by its tag before it is tried again). `rateLimited`: Kite
 * answered 429. A TokenException means the session ended: not retriable until a new login.
 */
export class KiteError extends AlphaPandaError {
  readonly type: KiteErrorType;
  readonly rateLimited: boolean;
  constructor(type: KiteErrorType, message: string, options: { retriable: boolean; rateLimited?: boolean; cause?: unknown }) {
    super(`Kite ${type}: ${message}`, options);
    this.type = type;
    this.rateLimited = options.rateLimited ?? false;
  }

  get sessionExpired(): boolean {
    return this.type === 'TokenException';
  }
}

/** Kite refused a login (a wrong API secret, a used or stale request token, another account). */
export class LoginRefused extends AlphaPandaError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** Live trading was asked for with no usable Kite session (never logged in, logged out, or expired). */
export class SessionExpired extends AlphaPandaError {
  constructor(why: string) {
    super(`no live Kite session: ${why}${/log in/.test(why) ? '' : '; log in again (alpha-panda session login)'}`, { retriable: false });
  }
}
