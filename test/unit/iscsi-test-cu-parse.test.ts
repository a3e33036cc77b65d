// The reader of iscsi-test-cu's CUnit output tells passes, skips (which CUnit counts as passes)
// and failures apart, including tests that log "[FAILED]" lines on purpose and still pass.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCuOutput } from '../helpers/iscsi-test-cu.js';

const SAMPLE = `Suite: CompareAndWrite
  Test: Simple ...passed
  Test: InvalidDataOutSize ...    [SKIPPED] LBPPB < 2. Skipping test
passed
Suite: WriteSame10
  Test: UnmapUntilEnd ...    [FAILED] Blocks did not read back as zero
FAILED
    1. test_writesame10_unmap_until_end.c:71  - CU_FAIL("[FAILED] Blocks did not read back " "as zero")
  Test: UnmapVPD ...passed
Suite: iSCSIdatasn
  Test: iSCSIDataSnInvalid ...    [FAILED] WRITE10 command failed with status 2 / sense key COMMAND ABORTED(0x0b) / ASCQ (null)(0x4b00)
    [FAILED] WRITE10 command failed with status 2 / sense key COMMAND ABORTED(0x0b) / ASCQ (null)(0x4b00)
passed
Suite: Reserve6
  Test: Simple ...    [SKIPPED] RESERVE6 is not implemented on target
passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.

Run Summary:    Type  Total    Ran Passed Failed Inactive
               tests      6      6      5      1        0
`;

test('iscsi-test-cu output: passed, skipped with its reason, failed; [FAILED] log lines are not outcomes', () => {
  const { outcomes, skipReasons } = parseCuOutput(SAMPLE);
  assert.deepEqual(Object.fromEntries(outcomes), {
    'CompareAndWrite.Simple': 'passed',
    'CompareAndWrite.InvalidDataOutSize': 'skipped',
    'WriteSame10.UnmapUntilEnd': 'failed',
    'WriteSame10.UnmapVPD': 'passed',
    'iSCSIdatasn.iSCSIDataSnInvalid': 'passed',
    'Reserve6.Simple': 'skipped',
  });
  assert.equal(skipReasons.get('CompareAndWrite.InvalidDataOutSize'), 'LBPPB < 2. Skipping test');
  assert.equal(skipReasons.get('Reserve6.Simple'), 'RESERVE6 is not implemented on target');
});
