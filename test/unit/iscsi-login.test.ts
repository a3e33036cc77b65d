// The login state machine: discovery and normal sessions, stage transitions, CHAP one-way and
// mutual, wrong secrets, unknown targets, missing names, TSIH assignment and joining sessions.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { IscsiChapSettings } from '../../src/array/iscsi/catalog.js';
import { LoginStatus } from '../../src/array/iscsi/errors.js';
import { type LoginEnv, LoginMachine, type LoginResult } from '../../src/array/iscsi/login.js';
import { defaultSessionParams } from '../../src/array/iscsi/negotiation.js';
import { decodePdu, type LoginFields, Opcode, TargetPduReader } from '../../src/array/iscsi/pdu.js';
import { decodeText, encodeText, type TextPairs } from '../../src/array/iscsi/text.js';
import { countingRandom, INITIATOR_IQN, loginRequest } from '../helpers/iscsi-test-initiator.js';
import {
  MemoryDevice,
  MemoryIscsiCatalog,
  NO_CHAP,
  TEST_TARGET_IQN,
} from '../helpers/iscsi-transport-fakes.js';

const HOST_CHAP: IscsiChapSettings = {
  hostUser: 'host-user',
  hostPassword: 'host-secret-12',
  targetUser: null,
  targetPassword: null,
};
const MUTUAL_CHAP = { ...HOST_CHAP, targetUser: 'array-user', targetPassword: 'array-secret-34' };

function setup(chap = NO_CHAP) {
  const catalog = new MemoryIscsiCatalog();
  catalog.addHost(INITIATOR_IQN, 'host-1', new Map([[0, new MemoryDevice('v', 1 << 20)]]), chap);
  const admitted: LoginResult[] = [];
  const env: LoginEnv = {
    catalog,
    random: countingRandom,
    initialStatSN: 100,
    findSession: (tsih, isid, name) =>
      tsih === 7 && isid === '400001370000' && name === INITIATOR_IQN
        ? { sessionType: 'Normal', params: defaultSessionParams(), expCmdSN: 50, maxCmdSN: 80 }
        : null,
    admit: (result) => {
      admitted.push(result);
      return { tsih: result.tsih || 33, expCmdSN: result.cmdSN, maxCmdSN: result.cmdSN + 127 };
    },
  };
  return { machine: new LoginMachine(env), admitted };
}

function request(overrides: Partial<LoginFields> = {}): LoginFields {
  return loginRequest({ cmdSN: 10, ...overrides });
}

function reply(chunks: Buffer[]) {
  const reader = new TargetPduReader();
  reader.push(Buffer.concat(chunks));
  const pdu = decodePdu(reader.next()!);
  assert.ok(pdu && pdu.opcode === Opcode.LOGIN_RESPONSE);
  const pairs = decodeText(pdu.data);
  assert.ok(!('invalid' in pairs));
  return { ...pdu.fields, keys: new Map(pairs) };
}

const NORMAL: TextPairs = [
  ['InitiatorName', INITIATOR_IQN],
  ['TargetName', TEST_TARGET_IQN],
  ['SessionType', 'Normal'],
];

test('login: normal session straight to full feature phase, TPGT in the first response, TSIH at the end', () => {
  const { machine, admitted } = setup();
  const step = machine.step(request(), encodeText([...NORMAL, ['MaxRecvDataSegmentLength', '65536']]));
  assert.equal(step.kind, 'complete');
  const r = reply(step.response);
  assert.equal(r.status, 0);
  assert.equal(r.transit, true);
  assert.equal(r.nsg, 3);
  assert.equal(r.tsih, 33);
  assert.equal(r.statSN, 100);
  assert.equal(r.expCmdSN, 10);
  assert.equal(r.keys.get('TargetPortalGroupTag'), '1');
  assert.ok(r.keys.has('MaxRecvDataSegmentLength'));
  assert.equal(admitted[0]?.host, 'host-1');
  assert.equal(admitted[0]?.connection.initiatorMrdslBytes, 65536);
  assert.equal(admitted[0]?.nextStatSN, 101);
});

test('login: discovery session needs no TargetName; security stage without AuthMethod, then operational', () => {
  const { machine, admitted } = setup();
  const first = machine.step(
    request({ csg: 0, nsg: 1 }),
    encodeText([
      ['InitiatorName', 'iqn.someone:else'],
      ['SessionType', 'Discovery'],
      ['AuthMethod', 'None'],
    ]),
  );
  assert.equal(first.kind, 'continue');
  const r1 = reply(first.response);
  assert.equal(r1.keys.get('AuthMethod'), 'None');
  assert.equal(r1.transit, true);
  assert.equal(r1.nsg, 1);
  assert.ok(!r1.keys.has('TargetPortalGroupTag'), 'discovery');
  const second = machine.step(request({ csg: 1, nsg: 3 }), encodeText([['HeaderDigest', 'None']]));
  assert.equal(second.kind, 'complete');
  assert.equal(admitted[0]?.sessionType, 'Discovery');
  assert.equal(admitted[0]?.host, null, 'unknown initiators may log in');
  assert.equal(reply(second.response).statSN, 101);
});

test('login: unknown target -> 0x0203, missing InitiatorName -> 0x0207, bad SessionType -> 0x0209', () => {
  const cases: [TextPairs, number][] = [
    [
      [
        ['InitiatorName', INITIATOR_IQN],
        ['TargetName', 'iqn.other:target'],
      ],
      LoginStatus.TARGET_NOT_FOUND,
    ],
    [[['TargetName', TEST_TARGET_IQN]], LoginStatus.MISSING_PARAMETER],
    [[['InitiatorName', INITIATOR_IQN]], LoginStatus.MISSING_PARAMETER],
    [
      [
        ['InitiatorName', INITIATOR_IQN],
        ['SessionType', 'Bogus'],
      ],
      LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
    ],
  ];
  for (const [pairs, status] of cases) {
    const step = setup().machine.step(request(), encodeText(pairs));
    assert.equal(step.kind, 'fail');
    assert.equal(reply(step.response).status, status);
  }
});

test('login: version, duplicate keys, bad stage transitions are refused', () => {
  assert.equal(
    reply(setup().machine.step(request({ versionMin: 1 }), encodeText(NORMAL)).response).status,
    0x0205,
  );
  const dup = Buffer.concat([encodeText(NORMAL), encodeText([['SessionType', 'Normal']])]);
  assert.equal(reply(setup().machine.step(request(), dup).response).status, LoginStatus.INITIATOR_ERROR);
  assert.equal(
    reply(setup().machine.step(request({ csg: 1, nsg: 1 }), encodeText(NORMAL)).response).status,
    LoginStatus.INVALID_DURING_LOGIN,
  );
});

test('login: continued (C bit) login text is gathered before it is answered', () => {
  const { machine } = setup();
  const text = encodeText(NORMAL);
  const first = machine.step(request({ transit: false, cont: true }), text.subarray(0, 20));
  assert.equal(first.kind, 'continue');
  assert.equal(reply(first.response).keys.size, 0);
  const second = machine.step(request(), text.subarray(20));
  assert.equal(second.kind, 'complete');
});

function chapLogin(chap: IscsiChapSettings, secret: string, mutual?: Buffer) {
  const { machine } = setup(chap);
  const s1 = machine.step(request({ csg: 0, nsg: 1 }), encodeText([...NORMAL, ['AuthMethod', 'CHAP,None']]));
  const r1 = reply(s1.response);
  assert.equal(r1.keys.get('AuthMethod'), 'CHAP');
  assert.equal(r1.transit, false, 'no transit before CHAP is done');
  const s2 = machine.step(request({ csg: 0, nsg: 1, transit: false }), encodeText([['CHAP_A', '5']]));
  const r2 = reply(s2.response);
  assert.equal(r2.keys.get('CHAP_A'), '5');
  const id = Number(r2.keys.get('CHAP_I'));
  const challenge = Buffer.from(r2.keys.get('CHAP_C')!.slice(2), 'hex');
  assert.ok(challenge.length >= 16);
  const response = createHash('md5')
    .update(Buffer.concat([Buffer.from([id]), Buffer.from(secret), challenge]))
    .digest();
  const keys: TextPairs = [
    ['CHAP_N', 'host-user'],
    ['CHAP_R', `0x${response.toString('hex')}`],
  ];
  if (mutual) keys.push(['CHAP_I', '9'], ['CHAP_C', `0x${mutual.toString('hex')}`]);
  const s3 = machine.step(request({ csg: 0, nsg: 1 }), encodeText(keys));
  return { step: s3, r3: reply(s3.response), machine, challenge };
}

test('login: one-way CHAP with the right secret passes to operational negotiation', () => {
  const { step, r3, machine } = chapLogin(HOST_CHAP, 'host-secret-12');
  assert.equal(step.kind, 'continue');
  assert.equal(r3.status, 0);
  assert.equal(r3.transit, true);
  assert.equal(r3.nsg, 1);
  assert.equal(machine.step(request(), encodeText([])).kind, 'complete');
});

test('login: wrong CHAP secret -> 0x0201', () => {
  const { step, r3 } = chapLogin(HOST_CHAP, 'wrong-secret');
  assert.equal(step.kind, 'fail');
  assert.equal(r3.status, LoginStatus.AUTH_FAILURE);
});

test('login: mutual CHAP answers with the target user and MD5 over the target secret', () => {
  const theirs = Buffer.alloc(32, 0x42);
  const { r3 } = chapLogin(MUTUAL_CHAP, 'host-secret-12', theirs);
  assert.equal(r3.status, 0);
  assert.equal(r3.keys.get('CHAP_N'), 'array-user');
  const expected = createHash('md5')
    .update(Buffer.concat([Buffer.from([9]), Buffer.from('array-secret-34'), theirs]))
    .digest('hex');
  assert.equal(r3.keys.get('CHAP_R'), `0x${expected}`);
});

test('login: mutual CHAP without target credentials, or reflecting our challenge -> 0x0201', () => {
  assert.equal(
    chapLogin(HOST_CHAP, 'host-secret-12', Buffer.alloc(32, 1)).r3.status,
    LoginStatus.AUTH_FAILURE,
  );
  // countingRandom makes our challenge predictable: reflect it back.
  const ours = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x11 + i));
  assert.equal(chapLogin(MUTUAL_CHAP, 'host-secret-12', ours).r3.status, LoginStatus.AUTH_FAILURE);
});

test('login: a host with CHAP cannot skip security or offer only None', () => {
  const skip = setup(HOST_CHAP).machine.step(request(), encodeText(NORMAL));
  assert.equal(reply(skip.response).status, LoginStatus.AUTH_FAILURE);
  const none = setup(HOST_CHAP).machine.step(
    request({ csg: 0, nsg: 1 }),
    encodeText([...NORMAL, ['AuthMethod', 'None']]),
  );
  assert.equal(reply(none.response).status, LoginStatus.AUTH_FAILURE);
});

test('login: a host without CHAP credentials refuses a CHAP-only initiator', () => {
  const step = setup().machine.step(
    request({ csg: 0, nsg: 1 }),
    encodeText([...NORMAL, ['AuthMethod', 'CHAP']]),
  );
  assert.equal(reply(step.response).status, LoginStatus.AUTH_FAILURE);
});

test('login: joining a session needs its TSIH and ISID (0x020A otherwise); session keys are Irrelevant', () => {
  const missing = setup().machine.step(request({ tsih: 5, cid: 1 }), encodeText(NORMAL));
  assert.equal(reply(missing.response).status, LoginStatus.SESSION_DOES_NOT_EXIST);
  const { machine, admitted } = setup();
  const join = machine.step(
    request({ tsih: 7, cid: 1 }),
    encodeText([...NORMAL, ['MaxBurstLength', '4096']]),
  );
  assert.equal(join.kind, 'complete');
  const r = reply(join.response);
  assert.equal(r.tsih, 7);
  assert.equal(r.keys.get('MaxBurstLength'), 'Irrelevant');
  assert.equal(admitted[0]?.tsih, 7);
  assert.equal(admitted[0]?.cid, 1);
});
