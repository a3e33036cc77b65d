// A counting semaphore with a FIFO queue: requests beyond the in-flight limit wait their turn in
// the order they were made, and all waiters fail together when the link closes.

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Slots {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;

  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.used < this.capacity) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Hands the slot straight to the next waiter, so a newcomer cannot overtake the queue. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next.resolve();
    else this.used--;
  }

  /** Rejects every waiter and every later acquire(); slots already held are released as usual. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
