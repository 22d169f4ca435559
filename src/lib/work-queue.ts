import { AppError } from '../errors';

/**
 * A bounded queue in front of the detector. ORT already spreads one inference over the cores,
 * so running more at once only adds contention; what a burst needs is a short, visible line and
 * a fast "busy" answer once that line is full, instead of unbounded memory and latency.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: { start: () => void; fail: (e: Error) => void }[] = [];
  private closedWith: Error | null = null;

  constructor(
    readonly concurrency = 1,
    readonly maxWaiting = 64,
  ) {}

  /** Jobs waiting for a slot (reported by readiness checks). */
  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  /**
   * Fails every waiting job with `reason` and refuses new ones. At shutdown a queue of trainings
   * would otherwise start each in turn on an engine that is going away.
   */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const entry of this.waiting.splice(0)) entry.fail(reason);
  }

  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closedWith) throw this.closedWith;
    if (signal?.aborted) throw new AppError('ABORTED');
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError('QUEUE_FULL', `The detector has ${this.waiting.length} images waiting; retry shortly.`, { retryAfterSeconds: 1 });
      }
      await new Promise<void>((resolve, reject) => {
        const entry = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          fail: reject,
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new AppError('ABORTED'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    }
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }
}

export const defaultQueue = new WorkQueue();
