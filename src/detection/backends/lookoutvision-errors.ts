import { AppError } from '../../errors';

/**
 * Lookout for Vision exceptions -> the gateway's codes. Names are read from the SDK's error
 * `name`, so this holds for any endpoint that answers the service's restJson1 error format.
 */
export function fromLookoutVisionError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    RetryAfterSeconds?: number;
    ResourceType?: string;
    ResourceId?: string;
  };
  const message = `${what}: ${e.message ?? e.name ?? 'failed'}`;
  switch (e.name) {
    case 'ResourceNotFoundException':
      return new AppError('MODEL_NOT_FOUND', message, { resourceType: e.ResourceType, resourceId: e.ResourceId });
    case 'ConflictException':
      return new AppError('MODEL_NOT_RUNNING', message, { resourceType: e.ResourceType, resourceId: e.ResourceId });
    case 'ThrottlingException':
      return new AppError('THROTTLED', message, { retryAfterSeconds: e.RetryAfterSeconds ?? 1 });
    case 'ValidationException':
      return new AppError('BAD_USER_INPUT', message);
    case 'AccessDeniedException':
      return new AppError('FORBIDDEN', message);
    case 'AbortError':
      return new AppError('ABORTED');
    default:
      return new AppError('UPSTREAM_ERROR', message, { upstreamStatus: e.$metadata?.httpStatusCode });
  }
}
