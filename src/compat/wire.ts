import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ERROR_CODES, isAppError, type AppError } from '../errors';

/**
 * The restJson1 wire format as the AWS SDKs parse it. Every response carries x-amzn-RequestId.
 * An error carries its exception's bare name in `x-amzn-ErrorType` (a `namespace#Name` there
 * makes botocore 1.29 raise a generic ClientError) and in the body's `__type`, with `Message`
 * and the modelled fields the SDKs copy onto the exception.
 */

export function sendAws(res: ServerResponse, requestId: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId, ...headers });
  res.end(text);
}

/** Modelled members an exception may carry, from AppError details. */
function members(err: AppError, name: string): Record<string, unknown> {
  const d = err.details as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (name === 'ConflictException' || name === 'ResourceNotFoundException' || name === 'ServiceQuotaExceededException') {
    if (d.resourceId !== undefined) out.ResourceId = String(d.resourceId);
    if (d.resourceType !== undefined) out.ResourceType = d.resourceType;
    // Both are required members of these two exceptions; the SDKs expect them present.
    if (name !== 'ServiceQuotaExceededException') {
      out.ResourceId ??= '';
      out.ResourceType ??= 'MODEL';
    }
  }
  if (name === 'ServiceQuotaExceededException' || name === 'ThrottlingException') {
    out.QuotaCode = d.quotaCode ?? (name === 'ThrottlingException' ? 'DETECTOR_QUEUE' : '');
    out.ServiceCode = d.serviceCode ?? 'lookoutvision';
  }
  return out;
}

export function sendAwsError(res: ServerResponse, requestId: string, err: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let name: string;
  let status: number;
  let message: string;
  let extra: Record<string, unknown> = {};
  const headers: Record<string, string> = {};
  if (isAppError(err)) {
    name = ERROR_CODES[err.code].aws;
    status = awsStatus(name, err.status);
    message = err.message;
    extra = members(err, name);
    if (name === 'ThrottlingException' || name === 'InternalServerException') {
      const after = Number((err.details as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1);
      headers['retry-after'] = String(after);
    }
    if (status >= 500) log.error({ err, requestId }, 'request failed');
  } else {
    log.error({ err, requestId }, 'unexpected error');
    name = 'InternalServerException';
    status = 500;
    message = ERROR_CODES.INTERNAL_SERVER_ERROR.message;
    headers['retry-after'] = '1';
  }
  sendAws(res, requestId, status, { __type: name, Message: message, ...extra }, { 'x-amzn-errortype': name, ...headers });
}

/** The status the service modelled for each exception (413 and 415 are not among them). */
const AWS_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  InternalServerException: 500,
};

const awsStatus = (name: string, fallback: number) => AWS_STATUS[name] ?? fallback;
