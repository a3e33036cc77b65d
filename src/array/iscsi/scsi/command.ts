// What a command handler gets, and the one way handlers call the device (so every engine failure
// becomes sense the same way).

import type { CopyResults } from './extended-copy.js';
import type { RangeLocks } from './range-lock.js';
import type { Reservations } from './reservations.js';
import { CheckCondition, senseForFailure } from './sense.js';
import type { LogicalUnit, ScsiTask } from './types.js';

export interface CommandContext {
  task: ScsiTask;
  cdb: Buffer;
  unit: LogicalUnit;
  locks: RangeLocks;
  reservations: Reservations;
  copies: CopyResults;
}

/** Runs one device call; an IoError (or anything else it throws) becomes a CheckCondition. */
export async function deviceCall<T>(direction: 'read' | 'write', call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckCondition(senseForFailure(error, direction), `device ${direction} failed: ${reason}`);
  }
}
