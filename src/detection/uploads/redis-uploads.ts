import type Redis from 'ioredis';
import type { PendingUpload, PendingUploads, UploadState } from './pending-uploads';
import { uploadsUnavailable } from './pending-uploads';

/**
 * Uploads in Redis, shared by every replica: the record is a hash, the bytes a string beside it,
 * both expiring at the upload's `expiresAt`. State moves are Lua scripts, so two replicas taking
 * one upload at once cannot both win.
 */
export class RedisUploads implements PendingUploads {
  readonly kind = 'redis' as const;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}upload:${id}`;
  }

  private async attempt<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw uploadsUnavailable(err);
    }
  }

  create(upload: PendingUpload): Promise<void> {
    return this.attempt(async () => {
      const key = this.key(upload.id);
      await this.client
        .multi()
        .hset(key, {
          owner: upload.owner,
          projectName: upload.projectName,
          contentType: upload.contentType,
          byteLength: String(upload.byteLength),
          expiresAt: String(upload.expiresAt),
          state: upload.state,
          storage: upload.storage,
        })
        .pexpireat(key, upload.expiresAt)
        .exec();
    });
  }

  get(id: string): Promise<PendingUpload | null> {
    return this.attempt(async () => {
      const h = await this.client.hgetall(this.key(id));
      if (!h.state) return null;
      return {
        id,
        owner: h.owner,
        projectName: h.projectName,
        contentType: h.contentType as PendingUpload['contentType'],
        byteLength: Number(h.byteLength),
        expiresAt: Number(h.expiresAt),
        state: h.state as UploadState,
        sha256: h.sha256 || undefined,
        storage: h.storage === 's3' ? 's3' : 'gateway',
      };
    });
  }

  putBytes(id: string, bytes: Buffer, sha256: string): Promise<UploadState | null> {
    const key = this.key(id);
    return this.attempt(async () => (await this.client.eval(PUT_BYTES, 2, key, `${key}:bytes`, bytes, sha256)) as UploadState | null);
  }

  transition(id: string, from: UploadState, to: UploadState): Promise<UploadState | null> {
    const key = this.key(id);
    return this.attempt(async () => (await this.client.eval(TRANSITION, 2, key, `${key}:bytes`, from, to)) as UploadState | null);
  }

  bytes(id: string): Promise<Buffer | null> {
    return this.attempt(() => this.client.getBuffer(`${this.key(id)}:bytes`));
  }

  async close(): Promise<void> {
    // The client belongs to the result cache, which closes it.
  }
}

// Returns the state found; on WAITING stores the bytes with the record's own expiry.
const PUT_BYTES = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state ~= 'WAITING' then return state end
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', redis.call('HGET', KEYS[1], 'expiresAt'))
redis.call('HSET', KEYS[1], 'state', 'READY', 'sha256', ARGV[2])
return state`;

const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state ~= ARGV[1] then return state end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[2] == 'USED' then redis.call('DEL', KEYS[2]) end
return state`;
