import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors';

/**
 * Images sent out of band: a client asks GraphQL for an upload (JSON only, so it passes any
 * router), PUTs the bytes to the signed URL it gets back, then names the upload in
 * `detectAnomalies`. Between those steps the upload lives here, in Redis when the gateway has
 * one (any replica can take the PUT and the detection) or in this process's memory.
 *
 * An upload moves WAITING -> READY (its bytes arrived and passed the image checks) -> CLAIMED (a
 * detection is using it) -> USED (bytes deleted, the record kept until it expires so a second
 * use is told why). A detection that fails for a reason a retry may cure puts it back to READY.
 * Everything, bytes included, disappears at `expiresAt`.
 */
export type UploadState = 'WAITING' | 'READY' | 'CLAIMED' | 'USED';

export interface PendingUpload {
  id: string;
  /** The principal that created it: only it may use it. */
  owner: string;
  projectName: string;
  contentType: 'image/png' | 'image/jpeg';
  byteLength: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  state: UploadState;
  sha256?: string;
  /**
   * Where the bytes go: `gateway` (PUT to the gateway, kept in this store) or `s3` (a presigned
   * PUT straight to the model storage; the upload stays WAITING until a detection finds them).
   */
  storage: 'gateway' | 's3';
}

export interface PendingUploads {
  readonly kind: 'redis' | 'memory';
  /** Records a new WAITING upload; refuses (THROTTLED) when the store has no room for its bytes. */
  create(upload: PendingUpload): Promise<void>;
  get(id: string): Promise<PendingUpload | null>;
  /** WAITING -> READY with the bytes; returns the state found instead when it was not WAITING. */
  putBytes(id: string, bytes: Buffer, sha256: string): Promise<UploadState | null>;
  /**
   * Moves `from` -> `to` atomically; returns the state found (so the caller learns why a move did
   * not happen), or null for an unknown or expired upload. Moving to USED deletes the bytes.
   */
  transition(id: string, from: UploadState, to: UploadState): Promise<UploadState | null>;
  bytes(id: string): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** 128 random bits: an id cannot be guessed, and the URL that takes its bytes is signed besides. */
export function newUploadId(): string {
  return randomBytes(16).toString('base64url');
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{22}$/;

export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

export function uploadNotFound(id: string): AppError {
  return new AppError(
    'UPLOAD_NOT_FOUND',
    `No upload ${id.slice(0, 40)} is waiting for this caller: it expired, was never created, or belongs to another caller.`,
    {
      resourceType: 'UPLOAD',
      resourceId: id.slice(0, 40),
    },
  );
}

/** The store itself failed (Redis down): unlike the result cache, an upload cannot fall back to "miss". */
export function uploadsUnavailable(cause: unknown): AppError {
  return new AppError('UPLOADS_UNAVAILABLE', undefined, {}, { cause });
}
