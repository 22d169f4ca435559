import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors';
import type { ProjectServices, Services } from '../graphql/context';
import type { ArnScope } from '../projects/resources';
import { check, maxResults, nextToken } from './shapes';

/** One request, decoded as far as the route can: path labels, query, raw body. */
export interface OperationRequest {
  labels: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  bodySha256: string;
  services: Services;
  projects: ProjectServices;
  scope: ArnScope;
  signal: AbortSignal;
}

export interface Operation {
  name: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  /** Matched against the raw path; groups are the path labels, percent-decoded afterwards. */
  path: RegExp;
  /** The status the service model gives this operation's success. */
  status: 200 | 202;
  /** Largest body this operation reads. */
  maxBody?: number;
  handle(req: OperationRequest): Promise<unknown>;
}

export function jsonBody(req: OperationRequest): unknown {
  if (!req.body.length) return {};
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new AppError('BAD_USER_INPUT', 'The request body is not valid JSON.');
  }
}

/**
 * Lists page by offset. The token is opaque to clients and fits the service's pattern
 * (base64 letters); it names the listing it belongs to, so a token from another listing fails.
 */
export function page<T>(req: OperationRequest, items: T[], listing: string): { items: T[]; next?: string } {
  const limit = req.query.has('maxResults') ? check(maxResults, req.query.get('maxResults'), 'maxResults') : 100;
  let offset = 0;
  const given = req.query.get('nextToken');
  if (given) {
    check(nextToken, given, 'nextToken');
    const [name, at] = Buffer.from(given, 'base64').toString('utf8').split('\u0000');
    offset = Number(at);
    if (name !== listing || !Number.isInteger(offset) || offset < 0) throw new AppError('BAD_USER_INPUT', 'The NextToken is invalid for this request.');
  }
  const items2 = items.slice(offset, offset + limit);
  const end = offset + items2.length;
  return { items: items2, next: end < items.length ? Buffer.from(`${listing}\u0000${end}`).toString('base64') : undefined };
}
