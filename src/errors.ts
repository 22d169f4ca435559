/**
 * The one registry of error codes a client can see.
 *
 * Every layer throws `AppError` with a code from here; the GraphQL layer turns it into a
 * `GraphQLError` with `extensions.code`, the Lookout for Vision layer into an AWS exception, and
 * both derive the HTTP status from this table rather than choosing one on the spot. Anything that
 * is not an `AppError` is unexpected: it is logged and masked.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, message: 'The request is invalid.' },
  INVALID_IMAGE: { status: 400, message: 'The file is not a readable PNG or JPEG image.' },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415, message: 'Only PNG and JPEG images are accepted.' },
  IMAGE_DIMENSIONS_OUT_OF_RANGE: { status: 400, message: 'The image size is outside the accepted range.' },
  IMAGE_TOO_MANY_PIXELS: { status: 413, message: 'The image has more pixels than the accepted maximum.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The upload is larger than the accepted maximum.' },
  DATASET_INVALID: { status: 400, message: 'The dataset or manifest could not be read.' },
  MASK_INVALID: { status: 400, message: 'An anomaly mask could not be read.' },
  MODEL_NOT_FOUND: { status: 404, message: 'No such model.' },
  MODEL_NOT_RUNNING: { status: 409, message: 'The model is not running.' },
  MODEL_CORRUPT: { status: 500, message: 'The model files are damaged.' },
  MODEL_INCOMPATIBLE: { status: 500, message: 'The model was made by an incompatible engine.' },
  TRAINING_FAILED: { status: 422, message: 'Training failed.' },
  QUEUE_FULL: { status: 429, message: 'The detector is busy; retry shortly.' },
  THROTTLED: { status: 429, message: 'Too many requests; retry shortly.' },
  ABORTED: { status: 499, message: 'The request was cancelled.' },
  FORBIDDEN: { status: 403, message: 'Access denied.' },
  UPSTREAM_ERROR: { status: 502, message: 'The detector backend failed.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable fields that are safe to show to the client. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code].message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = Object.freeze({ ...details });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
