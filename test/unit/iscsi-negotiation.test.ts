// Operational key negotiation: the result functions (min, max, OR, AND, lists), declarative
// MaxRecvDataSegmentLength, Reject/Irrelevant/NotUnderstood answers, leading-only keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ISCSI_FIRST_BURST_BYTES,
  ISCSI_MAX_BURST_BYTES,
  ISCSI_MAX_CONNECTIONS,
  ISCSI_TARGET_MRDSL_BYTES,
} from '../../src/array/iscsi/limits.js';
import { defaultSessionParams, Negotiator, parseNumber } from '../../src/array/iscsi/negotiation.js';

test("negotiation: libiscsi's offer gets the expected answers", () => {
  const n = new Negotiator(true);
  const answers = new Map(
    n.answer([
      ['HeaderDigest', 'None,CRC32C'],
      ['DataDigest', 'None'],
      ['InitialR2T', 'No'],
      ['ImmediateData', 'Yes'],
      ['MaxBurstLength', '262144'],
      ['FirstBurstLength', '262144'],
      ['DefaultTime2Wait', '2'],
      ['DefaultTime2Retain', '0'],
      ['MaxOutstandingR2T', '1'],
      ['ErrorRecoveryLevel', '0'],
      ['IFMarker', 'No'],
      ['OFMarker', 'No'],
      ['MaxConnections', '1'],
      ['MaxRecvDataSegmentLength', '262144'],
      ['DataPDUInOrder', 'Yes'],
      ['DataSequenceInOrder', 'Yes'],
    ]),
  );
  assert.equal(answers.get('HeaderDigest'), 'None');
  assert.equal(answers.get('DataDigest'), 'None');
  assert.equal(answers.get('InitialR2T'), 'No');
  assert.equal(answers.get('ImmediateData'), 'Yes');
  assert.equal(answers.get('MaxBurstLength'), '262144');
  assert.equal(answers.get('FirstBurstLength'), String(Math.min(262144, ISCSI_FIRST_BURST_BYTES)));
  assert.equal(answers.get('MaxOutstandingR2T'), '1');
  assert.equal(answers.get('IFMarker'), 'No');
  assert.equal(answers.get('MaxRecvDataSegmentLength'), String(ISCSI_TARGET_MRDSL_BYTES), 'ours, declared');
  assert.equal(n.connection.initiatorMrdslBytes, 262144);
  assert.equal(n.session.initialR2T, false);
});

test('negotiation: min/max/OR/AND results and out-of-range values', () => {
  const n = new Negotiator(true);
  const a = new Map(
    n.answer([
      ['MaxBurstLength', '16776192'],
      ['MaxConnections', '8'],
      ['DefaultTime2Wait', '0'],
      ['InitialR2T', 'Yes'],
      ['ImmediateData', 'No'],
      ['DataPDUInOrder', 'No'],
      ['ErrorRecoveryLevel', '2'],
      ['MaxOutstandingR2T', '0'],
      ['FirstBurstLength', 'lots'],
    ]),
  );
  assert.equal(a.get('MaxBurstLength'), String(ISCSI_MAX_BURST_BYTES), 'min');
  assert.equal(a.get('MaxConnections'), String(ISCSI_MAX_CONNECTIONS), 'min');
  assert.equal(a.get('DefaultTime2Wait'), '2', 'max');
  assert.equal(a.get('InitialR2T'), 'Yes', 'OR');
  assert.equal(a.get('ImmediateData'), 'No', 'AND');
  assert.equal(a.get('DataPDUInOrder'), 'Yes', 'OR with our Yes');
  assert.equal(a.get('ErrorRecoveryLevel'), '0');
  assert.equal(a.get('MaxOutstandingR2T'), 'Reject', 'below 1');
  assert.equal(a.get('FirstBurstLength'), 'Reject', 'not a number');
  assert.equal(n.session.immediateData, false);
  assert.equal(
    n.session.firstBurstLength,
    defaultSessionParams().firstBurstLength,
    'rejected: default stays',
  );
});

test("negotiation: digests follow the initiator's order among None and CRC32C", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['CRC32C,None', 'None', 'CRC32C', true],
    ['None,CRC32C', 'CRC32C', 'None', false],
    ['CRC32C', 'CRC32C', 'CRC32C', true],
  ];
  for (const [header, data, headerAnswer, headerOn] of cases) {
    const n = new Negotiator(true);
    const a = new Map(
      n.answer([
        ['HeaderDigest', header],
        ['DataDigest', data],
      ]),
    );
    assert.equal(a.get('HeaderDigest'), headerAnswer, header);
    assert.equal(n.connection.headerDigest, headerOn, header);
    assert.equal(n.connection.dataDigest, data.startsWith('CRC32C'), data);
  }
});

test('negotiation: digests we cannot do, unknown keys, target-only keys', () => {
  const n = new Negotiator(true);
  const a = new Map(
    n.answer([
      ['HeaderDigest', 'MD5'],
      ['X-com.example.Vendor', '1'],
      ['RDMAExtensions', 'Yes'],
      ['TargetAlias', 'me'],
      ['IFMarkInt', '2048~4096'],
      ['InitiatorName', 'iqn.x'],
    ]),
  );
  assert.equal(a.get('HeaderDigest'), 'Reject');
  assert.equal(a.get('X-com.example.Vendor'), 'NotUnderstood');
  assert.equal(a.get('RDMAExtensions'), 'NotUnderstood');
  assert.equal(a.get('TargetAlias'), 'Reject');
  assert.equal(a.get('IFMarkInt'), 'Irrelevant');
  assert.ok(!a.has('InitiatorName'), 'login keys are answered by login');
});

test('negotiation: a joining connection answers leading-only keys Irrelevant and keeps the session', () => {
  const session = { ...defaultSessionParams(), maxBurstLength: 65536 };
  const n = new Negotiator(false, session);
  const a = new Map(
    n.answer([
      ['MaxBurstLength', '1048576'],
      ['MaxRecvDataSegmentLength', '65536'],
    ]),
  );
  assert.equal(a.get('MaxBurstLength'), 'Irrelevant');
  assert.equal(n.session.maxBurstLength, 65536);
  assert.equal(n.connection.initiatorMrdslBytes, 65536);
});

test('negotiation: FirstBurstLength never exceeds MaxBurstLength; numbers in decimal or hex', () => {
  const n = new Negotiator(true);
  n.answer([
    ['MaxBurstLength', '4096'],
    ['FirstBurstLength', '65536'],
  ]);
  n.settle();
  assert.equal(n.session.firstBurstLength, 4096);
  assert.equal(parseNumber('0x1000'), 4096);
  assert.equal(parseNumber('12a'), null);
  assert.equal(parseNumber('-1'), null);
});
