import type { IncomingMessage } from 'node:http';

/** Kite's error types, each with the HTTP status Kite answers it with. */
export type KiteErrorType = 'TokenException' | 'InputException' | 'OrderException' | 'NetworkException' | 'GeneralException';

/** An error the server answers as `{"status":"error","message","error_type","data":null}`. */
export class KiteError extends Error {
  readonly status: number;
  readonly errorType: KiteErrorType;

  constructor(status: number, errorType: KiteErrorType, message: string) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

export const inputError = (message: string): KiteError => new KiteError(400, 'InputException', message);
export const orderError = (message: string): KiteError => new KiteError(400, 'OrderException', message);
export const tokenError = (message = 'Incorrect `api_key` or `access_token`.'): KiteError => new KiteError(403, 'TokenException', message);
export const tooManyRequests = (): KiteError => new KiteError(429, 'NetworkException', 'Too Many Requests');

/** What a route answers: JSON data, CSV text, a redirect, or (a fault) no answer at all. */
export type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'csv'; readonly body: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'drop' };

export const success = (data: unknown): Reply => ({ kind: 'json', status: 200, body: { status: 'success', data } });

export function failure(e: KiteError): Reply {
  return { kind: 'json', status: e.status, body: { status: 'error', message: e.message, error_type: e.errorType, data: null } };
}

/** Parameters of a request: the query string, and for POST/PUT the form-encoded body (Kite's, and kiteconnect's, only body type). */
export async function readParams(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (req.method !== 'POST' && req.method !== 'PUT') return params;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.append(k, v);
  return params;
}
