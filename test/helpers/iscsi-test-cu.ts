// Runs libiscsi's conformance suite (iscsi-test-cu, Debian package libiscsi-bin) and reads its
// CUnit text output into one outcome per test. A test the suite skips ("[SKIPPED] X is not
// implemented") is counted as passed by CUnit; here it is told apart, so a command that stops
// working and turns into a skip cannot pass unnoticed.

import { execFile } from 'node:child_process';

export type CuOutcome = 'passed' | 'skipped' | 'failed';

export interface CuResult {
  /** Suite.Test -> outcome, in the order run. */
  outcomes: Map<string, CuOutcome>;
  /** Suite.Test -> the reason the suite printed for a skip. */
  skipReasons: Map<string, string>;
  exitCode: number;
  output: string;
}

/** The whole family ALL (230 tests in libiscsi 1.19) takes about half a minute here. */
const RUN_TIMEOUT_MS = 300_000;

export function parseCuOutput(output: string): Pick<CuResult, 'outcomes' | 'skipReasons'> {
  const outcomes = new Map<string, CuOutcome>();
  const skipReasons = new Map<string, string>();
  let suite = '';
  let current: { name: string; text: string } | null = null;
  const settle = (): boolean => {
    if (!current) return true;
    // A test's own "[FAILED] ..." log lines (e.g. the failing WRITEs iSCSIDataSnInvalid provokes)
    // are not its outcome: CUnit prints "passed" or "FAILED" after them.
    const text = current.text.replace(/\[FAILED\][^\n]*/g, '');
    const result = /(?:^|\.\.\.|\s)(passed|FAILED)(?=\s|\[|$)/m.exec(text);
    if (!result) return false;
    const before = text.slice(0, result.index);
    const skip = /\[SKIPPED\]\s*([^\n]*)/.exec(before);
    if (result[1] === 'FAILED') outcomes.set(current.name, 'failed');
    else if (skip) {
      outcomes.set(current.name, 'skipped');
      skipReasons.set(current.name, skip[1]!.trim());
    } else outcomes.set(current.name, 'passed');
    current = null;
    return true;
  };
  for (const line of output.split('\n')) {
    const suiteMatch = /^Suite: (\S+)/.exec(line);
    if (suiteMatch) {
      settle();
      current = null;
      suite = suiteMatch[1]!;
      continue;
    }
    const testMatch = /^ {2}Test: (\S+) \.\.\.(.*)$/.exec(line);
    if (testMatch) {
      settle();
      current = { name: `${suite}.${testMatch[1]}`, text: testMatch[2]! };
      settle();
      continue;
    }
    if (current) {
      current.text += `\n${line}`;
      settle();
    }
  }
  return { outcomes, skipReasons };
}

/** `iscsi-test-cu -d -t FAMILY URL [URL2]`: -d allows the write tests (the LU is scratch). */
export function runIscsiTestCu(family: string, urls: string[]): Promise<CuResult> {
  return new Promise((resolve) => {
    execFile(
      'iscsi-test-cu',
      ['-d', '-t', family, ...urls],
      { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        resolve({
          ...parseCuOutput(output),
          exitCode: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output,
        });
      },
    );
  });
}
