/** Answers the gateway's own errors in the API's shape: `{"type":"error","error":{type,message},"request_id"}`. */
import type { ServerResponse } from 'node:http';
import { errorBody, type ApiError } from '../wire/errors.js';

export function sendApiError(res: ServerResponse, err: ApiError, requestId: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(err.type, err.message, requestId));
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': requestId,
    'x-clawback-request-id': requestId,
    'x-should-retry': err.status === 429 || err.status >= 500 ? 'true' : 'false',
    ...extra,
  });
  res.end(body);
}
