/**
 * The one registry of error codes a client can see.
 *
 * Every layer throws `AppError` with a code from here; the GraphQL layer turns it into a
 * `GraphQLError` with `extensions.code`, the Lookout for Vision layer into an AWS exception, and
 * both derive the HTTP status (and the AWS exception name) from this table rather than choosing
 * one on the spot. Anything that is not an `AppError` is unexpected: it is logged and masked.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, aws: 'ValidationException', message: 'The request is invalid.' },
  // Plain HTTP, before any GraphQL or protocol operation: a malformed request, an unknown path, a wrong method.
  BAD_REQUEST: { status: 400, aws: 'ValidationException', message: 'The request is malformed.' },
  NOT_FOUND: { status: 404, aws: 'ResourceNotFoundException', message: 'Nothing is here.' },
  METHOD_NOT_ALLOWED: { status: 405, aws: 'ValidationException', message: 'This method is not allowed here.' },
  INVALID_IMAGE: { status: 400, aws: 'ValidationException', message: 'The file is not a readable PNG or JPEG image.' },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415, aws: 'ValidationException', message: 'Only PNG and JPEG images are accepted.' },
  IMAGE_DIMENSIONS_OUT_OF_RANGE: { status: 400, aws: 'ValidationException', message: 'The image size is outside the accepted range.' },
  IMAGE_TOO_MANY_PIXELS: { status: 413, aws: 'ValidationException', message: 'The image has more pixels than the accepted maximum.' },
  PAYLOAD_TOO_LARGE: { status: 413, aws: 'ValidationException', message: 'The upload is larger than the accepted maximum.' },
  REQUEST_TOO_SLOW: { status: 408, aws: 'ValidationException', message: 'The request arrived too slowly.' },
  STATE_UNAVAILABLE: { status: 503, aws: 'InternalServerException', message: 'The gateway cannot reach its database; retry shortly.' },
  ARTIFACTS_UNAVAILABLE: { status: 503, aws: 'InternalServerException', message: 'The model storage cannot be reached; retry shortly.' },
  STORAGE_FULL: { status: 507, aws: 'InternalServerException', message: 'The gateway cannot write: its storage is full.' },
  DATASET_INVALID: { status: 400, aws: 'ValidationException', message: 'The dataset or manifest could not be read.' },
  MASK_INVALID: { status: 400, aws: 'ValidationException', message: 'An anomaly mask could not be read.' },
  MODEL_IMPORT_INVALID: { status: 400, aws: 'ValidationException', message: 'The model to import is not one the gateway can serve.' },
  UPLOAD_NOT_FOUND: { status: 404, aws: 'ResourceNotFoundException', message: 'No such upload.' },
  UPLOAD_NOT_READY: { status: 409, aws: 'ConflictException', message: 'The upload has no image yet.' },
  UPLOAD_USED: { status: 409, aws: 'ConflictException', message: 'The upload was already used.' },
  UPLOADS_UNAVAILABLE: { status: 503, aws: 'InternalServerException', message: 'Pending uploads cannot be reached; retry shortly.' },
  PROJECT_NOT_FOUND: { status: 404, aws: 'ResourceNotFoundException', message: 'No such project.' },
  DATASET_NOT_FOUND: { status: 404, aws: 'ResourceNotFoundException', message: 'No such dataset.' },
  MODEL_NOT_FOUND: { status: 404, aws: 'ResourceNotFoundException', message: 'No such model.' },
  MODEL_NOT_RUNNING: { status: 409, aws: 'ConflictException', message: 'The model is not running.' },
  RESOURCE_CONFLICT: { status: 409, aws: 'ConflictException', message: 'The resource is in a state that does not allow this.' },
  IDEMPOTENCY_CONFLICT: { status: 409, aws: 'ConflictException', message: 'The client token was used before with other parameters.' },
  QUOTA_EXCEEDED: { status: 402, aws: 'ServiceQuotaExceededException', message: 'A quota would be exceeded.' },
  MODEL_CORRUPT: { status: 500, aws: 'InternalServerException', message: 'The model files are damaged.' },
  MODEL_INCOMPATIBLE: { status: 500, aws: 'InternalServerException', message: 'The model was made by an incompatible engine.' },
  TRAINING_FAILED: { status: 422, aws: 'ValidationException', message: 'Training failed.' },
  QUEUE_FULL: { status: 429, aws: 'ThrottlingException', message: 'The detector is busy; retry shortly.' },
  THROTTLED: { status: 429, aws: 'ThrottlingException', message: 'Too many requests; retry shortly.' },
  ABORTED: { status: 499, aws: 'InternalServerException', message: 'The request was cancelled.' },
  UNAUTHENTICATED: { status: 401, aws: 'AccessDeniedException', message: 'A valid credential is required.' },
  FORBIDDEN: { status: 403, aws: 'AccessDeniedException', message: 'Access denied.' },
  // Request signing (the Lookout for Vision endpoint). The names are the ones AWS's front end
  // answers with; the SDKs treat InvalidSignatureException as a clock-skew hint and retry once.
  MISSING_AUTHENTICATION: { status: 403, aws: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
  UNKNOWN_ACCESS_KEY: { status: 403, aws: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
  INVALID_SIGNATURE: {
    status: 403,
    aws: 'InvalidSignatureException',
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  NOT_SUPPORTED: { status: 501, aws: 'AccessDeniedException', message: 'This gateway does not offer that.' },
  UNKNOWN_OPERATION: { status: 404, aws: 'UnknownOperationException', message: 'No operation answers this method and path.' },
  ENDPOINT_DISABLED: { status: 403, aws: 'AccessDeniedException', message: 'The Lookout for Vision endpoint is off.' },
  UPSTREAM_ERROR: { status: 502, aws: 'InternalServerException', message: 'The detector backend failed.' },
  INTERNAL_SERVER_ERROR: { status: 500, aws: 'InternalServerException', message: 'Unexpected error.' },
} as const satisfies Record<string, { status: number; aws: string; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable fields that are safe to show to the client. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    // Messages and details echo client input (a name, a reference); a 100 KB name is not echoed whole.
    super(clip(message ?? ERROR_CODES[code].message, MAX_MESSAGE), options);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = Object.freeze(Object.fromEntries(Object.entries(details).map(([k, v]) => [k, typeof v === 'string' ? clip(v, MAX_DETAIL) : v])));
  }
}

const MAX_MESSAGE = 1000;
const MAX_DETAIL = 300;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more characters)` : text;
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
