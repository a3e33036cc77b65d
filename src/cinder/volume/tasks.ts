// Work that continues after an API call returned 202 (creating on the array, deleting, failing
// over). Each task is tracked so shutdown and tests can wait for the control plane to be idle;
// a task's failure is logged, never thrown at the event loop.

import type { VolumeServiceLogger } from './ports.js';

export class TaskRunner {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: VolumeServiceLogger) {}

  run(what: object, task: () => Promise<void>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((error: Error) => this.logger.error({ ...what, err: error.message }, 'background task failed'));
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
  }

  /** Resolves once no task is running (tasks started meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
