// libiscsi's conformance suite against a real array daemon: `iscsi-test-cu -d -t ALL` on a fresh
// volume, given twice as two paths so the MultipathIO suite runs too. No test may fail, and the
// tests it skips must be exactly the ones docs/iscsi-conformance.md lists as skipped (commands the
// array does not implement, a removable-media or read-only LU, sanitize not allowed, one logical
// block per physical block): a command that breaks into "not implemented" fails this test.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ArrayProcess, makeTempDir, restSession, startArrayProcess } from '../helpers/array-process.js';
import { runIscsiTestCu } from '../helpers/iscsi-test-cu.js';

/** The initiator names iscsi-test-cu logs in with (-i and -I defaults). */
const SUITE_INITIATORS = [
  'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test',
  'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2',
];
const VOLUME_BYTES = 64 * 1024 * 1024;
/** libiscsi 1.19 (Debian 12): family ALL. */
const TESTS_IN_ALL = 230;

/** Skipped by design; each reason is in docs/iscsi-conformance.md. */
const EXPECTED_SKIPS: Array<{ tests: RegExp; reason: RegExp }> = [
  {
    tests: /^WriteAtomic16\./,
    reason: /not implemented|Not Supported/i,
  },
  { tests: /^(PreventAllow\.\w+|StartStopUnit\.Simple)$/, reason: /not removable/ },
  { tests: /^ReadOnly\.ReadOnlySBC$/, reason: /not write-protected/ },
  { tests: /^Sanitize\./, reason: /--allow-sanitize/ },
  {
    tests: /^(CompareAndWrite\.InvalidDataOutSize|WriteSame1[06]\.(UnmapUnaligned|InvalidDataOutSize))$/,
    reason: /LBPPB < 2/,
  },
];

let work: { path: string; remove: () => Promise<void> };
let array: ArrayProcess;
let url = '';

before(async () => {
  work = await makeTempDir('tandem-iscsi-cu-');
  array = await startArrayProcess({ name: 'iscsi-cu', dataDir: join(work.path, 'array') });
  const rest = await restSession(array);
  const ports = (await rest.call('GET', '/ports')).body.items as Array<{
    iqn: string | null;
    portal: string;
  }>;
  const port = ports.find((p) => p.iqn);
  assert.ok(port, 'an iSCSI port');
  assert.equal((await rest.call('POST', '/volumes?names=cu', { provisioned: VOLUME_BYTES })).status, 200);
  assert.equal((await rest.call('POST', '/hosts?names=cu-host', { iqns: SUITE_INITIATORS })).status, 200);
  const connection = await rest.call('POST', '/connections?host_names=cu-host&volume_names=cu');
  assert.equal(connection.status, 200, JSON.stringify(connection.body));
  url = `iscsi://${port.portal}/${port.iqn}/${connection.body.items[0].lun}`;
});

after(async () => {
  await array?.stop();
  await work?.remove();
});

test('iscsi-test-cu -t ALL: no test fails; only the documented ones skip', async (t) => {
  const result = await runIscsiTestCu('ALL', [url, url]);
  const failed = [...result.outcomes].filter(([, o]) => o === 'failed').map(([name]) => name);
  const skipped = [...result.outcomes].filter(([, o]) => o === 'skipped').map(([name]) => name);
  const passed = [...result.outcomes].filter(([, o]) => o === 'passed').map(([name]) => name);
  t.diagnostic(
    `iscsi-test-cu ALL: ${passed.length} passed, ${skipped.length} skipped, ${failed.length} failed`,
  );
  assert.equal(result.outcomes.size, TESTS_IN_ALL, `every test reported:\n${result.output.slice(-3000)}`);
  assert.deepEqual(failed, [], `failed tests:\n${result.output.slice(-6000)}`);
  assert.equal(result.exitCode, 0);
  for (const name of skipped) {
    const expected = EXPECTED_SKIPS.find((e) => e.tests.test(name));
    assert.ok(expected, `${name} skipped unexpectedly: ${result.skipReasons.get(name)}`);
    assert.match(result.skipReasons.get(name) ?? '', expected.reason, name);
  }
  for (const name of passed)
    assert.ok(
      !EXPECTED_SKIPS.some((e) => e.tests.test(name)),
      `${name} passes now: update docs/iscsi-conformance.md`,
    );
  // The suites the issue names run for real.
  for (const must of [
    'Inquiry.Standard',
    'Inquiry.BlockLimits',
    'ReadCapacity16.Simple',
    'Write16.Simple',
    'WriteSame16.Unmap',
    'Unmap.Simple',
    'CompareAndWrite.Miscompare',
    'ModeSense6.AllPages',
    'ReportSupportedOpcodes.RCTD',
    'iSCSITMF.AbortTaskSimpleAsync',
    'iSCSIResiduals.Write10Residuals',
    'iSCSIcmdsn.iSCSICmdSnTooHigh',
    'iSCSIdatasn.iSCSIDataSnInvalid',
    'MultipathIO.Reset',
    'PrinReadKeys.Truncate',
    'PrinReportCapabilities.Simple',
    'ProutReserve.AccessEA',
    'ProutReserve.OwnershipWEAR',
    'ProutClear.Simple',
    'ProutPreempt.RemoveRegistration',
    'Reserve6.2Initiators',
    'Reserve6.ITNexusLoss',
    'Reserve6.LUNReset',
    'ExtendedCopy.Simple',
    'ExtendedCopy.DescrLimits',
    'ExtendedCopy.ValidSegDescr',
    'ReceiveCopyResults.CopyStatus',
    'ReceiveCopyResults.OpParams',
    'OrWrite.Verify',
    'ReadDefectData10.Simple',
  ])
    assert.equal(result.outcomes.get(must), 'passed', must);
});
