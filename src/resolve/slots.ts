/**
 * A counting semaphore that hands out free slots first come, first served: the resolver's bound on
 * manifest requests in flight, and the CLI's across all its files.
 */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  /**
   * Resolves once a slot is the caller's. A caller still waiting when `signal` aborts leaves the queue
   * and is rejected with the signal's reason; one that already holds a slot keeps it.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        const index = this.#waiting.indexOf(start);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      this.#waiting.push(start);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Gives a slot back: to the longest waiting caller, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free++;
    else next();
  }
}
