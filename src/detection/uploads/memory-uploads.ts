import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors';
import type { PendingUpload, PendingUploads, UploadState } from './pending-uploads';

interface Entry {
  upload: PendingUpload;
  bytes: Buffer | null;
}

/**
 * Uploads in this process, for a gateway without Redis. Room is reserved for each upload's
 * declared size when it is created, so the store never holds more than `maxBytes`, and an entry
 * is dropped (bytes and all) the moment it expires rather than on the next read.
 */
export class MemoryUploads implements PendingUploads {
  readonly kind = 'memory' as const;
  private readonly entries: LRUCache<string, Entry>;
  private reserved = 0;

  constructor(private readonly maxBytes: number) {
    this.entries = new LRUCache<string, Entry>({
      max: 100_000,
      ttlAutopurge: true,
      dispose: (entry) => {
        this.reserved -= entry.upload.byteLength;
      },
    });
  }

  async create(upload: PendingUpload): Promise<void> {
    if (this.reserved + upload.byteLength > this.maxBytes)
      throw new AppError('THROTTLED', 'Too many uploads are waiting for their detection; retry once some are used or expired.', {
        retryAfterSeconds: 5,
      });
    this.reserved += upload.byteLength;
    this.entries.set(upload.id, { upload: { ...upload }, bytes: null }, { ttl: Math.max(1, upload.expiresAt - Date.now()) });
  }

  async get(id: string): Promise<PendingUpload | null> {
    const entry = this.entries.get(id);
    return entry ? { ...entry.upload } : null;
  }

  async putBytes(id: string, bytes: Buffer, sha256: string): Promise<UploadState | null> {
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (entry.upload.state !== 'WAITING') return entry.upload.state;
    entry.bytes = bytes;
    entry.upload.state = 'READY';
    entry.upload.sha256 = sha256;
    return 'WAITING';
  }

  async transition(id: string, from: UploadState, to: UploadState): Promise<UploadState | null> {
    const entry = this.entries.get(id);
    if (!entry) return null;
    const found = entry.upload.state;
    if (found !== from) return found;
    entry.upload.state = to;
    if (to === 'USED') entry.bytes = null;
    return found;
  }

  async bytes(id: string): Promise<Buffer | null> {
    return this.entries.get(id)?.bytes ?? null;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
