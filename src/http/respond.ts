import type { ServerResponse } from 'node:http';
import { AppError, type ErrorCode } from '../errors';

/** Small response helpers for the plain node:http handlers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Every error the gateway's own HTTP routes answer (GraphQL before Apollo, masks, unknown paths)
 * has GraphQL's shape, `{ errors: [{ message, extensions: { code } }] }`, with the status the
 * registry gives the code. The Lookout for Vision protocol has its own (compat/wire.ts).
 */
export function sendError(res: ServerResponse, err: AppError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code, ...err.details } }] }, headers);
}

/** The same, from a code and message. */
export function sendErrorCode(res: ServerResponse, code: ErrorCode, message?: string, headers: Record<string, string> = {}): void {
  sendError(res, new AppError(code, message), headers);
}
