// The one error a drill treats specially: the drill could not run (no lab, a daemon down, the
// control plane refusing), as opposed to a drill that ran and missed its objectives. Its message
// says what to do; `tandem drill` exits with EXIT_UNRUNNABLE for it.

export class DrillUnrunnable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillUnrunnable';
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
