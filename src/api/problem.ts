/**
 * Every API error is an RFC 9457 problem (application/problem+json) with a stable `code` a client can
 * switch on; `detail` says what was wrong in words, `issues` names each bad field.
 */
export const PROBLEM_CODES = {
  invalid_request: 400,
  unauthorized: 401,
  token_expired: 401,
  token_invalid: 401,
  login_failed: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  too_many_attempts: 429,
  internal: 500,
  database_required: 503,
  chain_elsewhere: 503,
  unavailable: 503,
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

export class ApiProblem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly issues: readonly string[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ProblemCode, detail: string, options: { issues?: readonly string[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.code = code;
    this.status = PROBLEM_CODES[code];
    this.issues = options.issues;
    // RFC 6750: a refused bearer token is answered with the scheme and why.
    const bearer: Record<string, string> = code === 'token_expired' || code === 'token_invalid' ? { 'www-authenticate': `Bearer error="invalid_token", error_description="${code === 'token_expired' ? 'the token has expired' : 'the token is not valid'}"` } : {};
    this.headers = { ...bearer, ...options.headers };
  }

  body(instance: string): ProblemBody {
    return { type: `urn:alpha-panda:problem:${this.code}`, title: this.code.replace(/_/g, ' '), status: this.status, code: this.code, detail: this.message, instance, ...(this.issues ? { issues: [...this.issues] } : {}) };
  }
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly instance: string;
  readonly issues?: string[];
}

export function problemResponse(p: ApiProblem, path: string): Response {
  return new Response(JSON.stringify(p.body(path)), { status: p.status, headers: { 'content-type': 'application/problem+json', ...p.headers } });
}
