import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (or key ids) in time that depends on neither where they differ nor their
 * lengths: both sides are hashed to a fixed size first, since timingSafeEqual needs equal lengths
 * and an early length check would itself leak.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const key = 'lookout-gateway/constant-time-equal';
  return timingSafeEqual(createHmac('sha256', key).update(a).digest(), createHmac('sha256', key).update(b).digest());
}
