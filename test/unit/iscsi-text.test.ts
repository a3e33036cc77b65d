// Key=value text: NUL-terminated pairs, the RFC's length limits, duplicates refused, continued
// texts gathered and long answers split.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeText, encodeText, splitText, TextAssembler } from '../../src/array/iscsi/text.js';

test('text: pairs round-trip; values may contain = and commas', () => {
  const pairs: [string, string][] = [
    ['InitiatorName', 'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-inq'],
    ['HeaderDigest', 'None,CRC32C'],
    ['X-odd', 'a=b'],
    ['TargetAlias', ''],
  ];
  const bytes = encodeText(pairs);
  assert.equal(bytes[bytes.length - 1], 0);
  assert.deepEqual(decodeText(bytes), pairs);
});

test('text: duplicates, missing =, long keys and long values are invalid', () => {
  assert.match((decodeText(Buffer.from('A=1\0A=2\0')) as { invalid: string }).invalid, /twice/);
  assert.match((decodeText(Buffer.from('novalue\0')) as { invalid: string }).invalid, /key=value/);
  assert.match((decodeText(Buffer.from(`${'K'.repeat(64)}=1\0`)) as { invalid: string }).invalid, /63/);
  assert.match((decodeText(Buffer.from(`K=${'v'.repeat(256)}\0`)) as { invalid: string }).invalid, /255/);
  const longChallenge = `CHAP_C=0x${'ab'.repeat(1024)}\0`;
  assert.ok(!('invalid' in decodeText(Buffer.from(longChallenge))), 'binary CHAP values may be long');
  assert.ok('invalid' in decodeText(Buffer.from(`CHAP_C=0x${'ab'.repeat(5000)}\0`)));
});

test('text: stray NULs and a missing final NUL are tolerated', () => {
  assert.deepEqual(decodeText(Buffer.from('A=1\0\0\0B=2')), [
    ['A', '1'],
    ['B', '2'],
  ]);
});

test('text: continued texts are gathered (a pair may straddle PDUs) and bounded', () => {
  const assembler = new TextAssembler();
  assert.equal(assembler.add(Buffer.from('SendTar'), true), 'pending');
  const whole = assembler.add(Buffer.from('gets=All\0'), false);
  assert.ok(Buffer.isBuffer(whole));
  assert.deepEqual(decodeText(whole), [['SendTargets', 'All']]);
  const flood = new TextAssembler();
  let result: ReturnType<TextAssembler['add']> = 'pending';
  for (let i = 0; i < 20 && result === 'pending'; i++) result = flood.add(Buffer.alloc(8192, 0x41), true);
  assert.ok(typeof result === 'object' && result !== null && 'invalid' in result);
});

test('text: splitText cuts at the segment size', () => {
  const parts = splitText(Buffer.alloc(20000), 8192);
  assert.deepEqual(
    parts.map((p) => p.length),
    [8192, 8192, 3616],
  );
});
