/** Anthropic-shaped errors: the body `{"type":"error","error":{"type","message"},"request_id"}` and its HTTP status. */
import { randomBytes } from 'node:crypto';

export const ERROR_STATUS = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const;

export type ApiErrorType = keyof typeof ERROR_STATUS;

export interface ApiErrorBody {
  type: 'error';
  error: { type: ApiErrorType | string; message: string };
  request_id: string | null;
}

export function errorBody(type: ApiErrorType, message: string, requestId: string | null): ApiErrorBody {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** The error type the API uses for a status it returned without a body we could read. */
export function errorTypeForStatus(status: number): ApiErrorType {
  for (const [type, s] of Object.entries(ERROR_STATUS)) if (s === status) return type as ApiErrorType;
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** An id shaped like the API's (`req_011C...`, `msg_01...`): prefix + 24 base62 characters. */
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let s = '';
  for (const b of bytes) s += B62[b % 62];
  return `${prefix}_01${s.slice(2)}`;
}

export function newRequestId(): string {
  return newId('req');
}

/** An error a component raises to be answered as an Anthropic-shaped error. */
export class ApiError extends Error {
  readonly status: number;
  constructor(readonly type: ApiErrorType, message: string, status?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status ?? ERROR_STATUS[type];
  }
}
