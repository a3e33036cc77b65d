// iSCSI on a real array daemon (`tandem array start --iscsi`), driven by Debian's libiscsi tools
// and qemu-img: the portal and target IQN in GET /ports and /network-interfaces, SendTargets
// discovery, LUNs only for initiators whose host is connected to the volume, VPD 0x83 with the
// volume's NAA id, READ CAPACITY(16), data written and read back with qemu-img, one-way and
// mutual CHAP from PATCH /hosts, and a malformed PDU that closes only its own connection.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type ArrayProcess,
  connectArrays,
  makeTempDir,
  restSession,
  startArrayProcess,
  waitFor,
} from '../helpers/array-process.js';
import { qemuRoundTrip, runTool, succeeded } from '../helpers/iscsi-clients.js';
import { RawSession } from '../helpers/iscsi-raw-session.js';

const _TOOL_TIMEOUT_MS = 60_000;
const VOLUME_BYTES = 64 * 1024 * 1024;
const HOST_IQN = 'iqn.2026-11.test.tandem:host-1';
const STRANGER_IQN = 'iqn.2026-11.test.tandem:stranger';
const CHAP_USER = 'host-1-user';
const CHAP_SECRET = 'host-1-secret-0123';
const TARGET_USER = 'array-user';
const TARGET_SECRET = 'array-secret-4567';

let work: { path: string; remove: () => Promise<void> };
let array: ArrayProcess;
let rest: Awaited<ReturnType<typeof restSession>>;
let targetIqn = '';
let portal = '';
let serial = '';

const run = runTool;
const ok = succeeded;

const lunUrl = (lun: number, credentials = '') =>
  `iscsi://${credentials}127.0.0.1:${array.iscsiPort}/${targetIqn}/${lun}`;

before(async () => {
  work = await makeTempDir('tandem-iscsi-');
  array = await startArrayProcess({ name: 'iscsi-array', dataDir: join(work.path, 'array') });
  rest = await restSession(array);
  const ports = await rest.call('GET', '/ports');
  const iscsiPort = (ports.body.items as Array<{ iqn: string | null; portal: string }>).find((p) => p.iqn);
  assert.ok(iscsiPort, `an iSCSI port in ${JSON.stringify(ports.body)}`);
  targetIqn = iscsiPort.iqn!;
  portal = iscsiPort.portal;
  const made = await rest.call('POST', '/volumes?names=iscsi-v1', { provisioned: VOLUME_BYTES });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  serial = made.body.items[0].serial;
  assert.equal((await rest.call('POST', '/hosts?names=host-1', { iqns: [HOST_IQN] })).status, 200);
  const connected = await rest.call('POST', '/connections?host_names=host-1&volume_names=iscsi-v1');
  assert.equal(connected.status, 200, JSON.stringify(connected.body));
  assert.equal(connected.body.items[0].lun, 1);
});

after(async () => {
  await array?.stop();
  await work?.remove();
});

test('GET /ports and /network-interfaces report the real portal and target IQN', async () => {
  assert.equal(portal, `127.0.0.1:${array.iscsiPort}`);
  assert.match(targetIqn, /^iqn\.2010-06\.com\.purestorage:flasharray\.[0-9a-f]{16}$/);
  const nics = await rest.call('GET', '/network-interfaces');
  const iscsiNic = (nics.body.items as Array<{ services: string[]; eth: { address: string } }>).find((n) =>
    n.services.includes('iscsi'),
  );
  assert.equal(iscsiNic?.eth.address, '127.0.0.1');
});

test('iscsi-ls: discovery lists the target; a connected host sees its LUN, a stranger none', async () => {
  const discovery = ok(
    await run('iscsi-ls', ['-i', HOST_IQN, `iscsi://127.0.0.1:${array.iscsiPort}`]),
    'discovery',
  );
  assert.match(
    discovery.stdout,
    new RegExp(`Target:${targetIqn.replace(/\./g, '\\.')} Portal:127\\.0\\.0\\.1:${array.iscsiPort},1`),
  );
  const luns = ok(
    await run('iscsi-ls', ['-s', '-i', HOST_IQN, `iscsi://127.0.0.1:${array.iscsiPort}`]),
    'ls -s',
  );
  // iscsi-ls prints the last LBA's offset in MiB: 63M for 64 MiB, as it does for tgt.
  assert.match(luns.stdout, /Lun:1\s+Type:DIRECT_ACCESS \(Size:63M\)/);
  const stranger = ok(
    await run('iscsi-ls', ['-s', '-i', STRANGER_IQN, `iscsi://127.0.0.1:${array.iscsiPort}`]),
    'stranger',
  );
  assert.ok(!/Lun:1/.test(stranger.stdout), `a stranger sees no LUN:\n${stranger.stdout}`);
  const touch = await run('qemu-img', [
    'info',
    '--image-opts',
    `driver=iscsi,transport=tcp,portal=${portal},target=${targetIqn},lun=1,initiator-name=${STRANGER_IQN}`,
  ]);
  assert.notEqual(touch.code, 0, 'a stranger cannot open the volume');
});

test('iscsi-inq: VPD 0x80 holds the serial, 0x83 the NAA id of the volume (Cinder wwn minus its 3)', async () => {
  const standard = ok(await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1)]), 'inquiry');
  assert.match(standard.stdout, /PURE/);
  assert.match(standard.stdout, /FlashArray/);
  const serialPage = ok(
    await run('iscsi-inq', ['-i', HOST_IQN, '-e', '1', '-c', '128', lunUrl(1)]),
    'vpd 0x80',
  );
  assert.ok(serialPage.stdout.includes(serial), serialPage.stdout);
  const ids = ok(await run('iscsi-inq', ['-i', HOST_IQN, '-e', '1', '-c', '131', lunUrl(1)]), 'vpd 0x83');
  // iscsi-inq prints a binary designator with %s: the bytes up to the first zero byte.
  const naaBytes = Buffer.from(`624a9370${serial}`, 'hex');
  const zero = naaBytes.indexOf(0);
  const naa = naaBytes.subarray(0, zero === -1 ? naaBytes.length : zero).toString('latin1');
  assert.match(ids.stdout, /Association:\(0\) LOGICAL_UNIT\s+Designator Type:\(3\) NAA\s+Designator:\[/);
  assert.ok(ids.stdout.includes(`Designator:[${naa}]`), 'the NAA designator is 624a9370 + the serial');
  assert.ok(ids.stdout.includes(`Designator:[${targetIqn},t,0x0001]`), 'the target port name');
});

test('iscsi-readcapacity16: 512-byte blocks, the volume size, thin provisioning', async () => {
  const capacity = ok(await run('iscsi-readcapacity16', ['-i', HOST_IQN, lunUrl(1)]), 'readcapacity16');
  assert.match(capacity.stdout, new RegExp(`Total size:${VOLUME_BYTES}`));
  assert.match(capacity.stdout, /LOGICAL BLOCK LENGTH IN BYTES:512/);
  assert.match(capacity.stdout, new RegExp(`RETURNED LOGICAL BLOCK ADDRESS:${VOLUME_BYTES / 512 - 1}`));
  assert.match(capacity.stdout, /LBPME:1 LBPRZ:1/);
});

test('qemu-img over iscsi:// writes 8 MiB and reads it back byte for byte', async () => {
  const data = randomBytes(8 * 1024 * 1024);
  const opts = `driver=iscsi,transport=tcp,portal=${portal},target=${targetIqn},lun=1,initiator-name=${HOST_IQN}`;
  const read = await qemuRoundTrip(work.path, opts, data);
  assert.equal(read.length, VOLUME_BYTES);
  assert.ok(read.subarray(0, data.length).equals(data), 'the bytes read back are the ones written');
  assert.ok(
    read.subarray(data.length).every((b) => b === 0),
    'the rest of the thin volume reads as zeroes',
  );
});

test('CHAP from PATCH /hosts: one-way required once set, wrong secret refused, mutual CHAP answered', async () => {
  const set = await rest.call('PATCH', '/hosts?names=host-1', {
    chap: { host_user: CHAP_USER, host_password: CHAP_SECRET },
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const without = await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1)]);
  assert.notEqual(without.code, 0, 'no credentials: login refused');
  const wrong = await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1, `${CHAP_USER}%wrong-secret-000@`)]);
  assert.notEqual(wrong.code, 0, 'wrong secret: login refused');
  ok(await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1, `${CHAP_USER}%${CHAP_SECRET}@`)]), 'one-way CHAP');

  const mutual = await rest.call('PATCH', '/hosts?names=host-1', {
    chap: { target_user: TARGET_USER, target_password: TARGET_SECRET },
  });
  assert.equal(mutual.status, 200, JSON.stringify(mutual.body));
  ok(
    await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1, `${CHAP_USER}%${CHAP_SECRET}@`)], {
      LIBISCSI_CHAP_TARGET_USERNAME: TARGET_USER,
      LIBISCSI_CHAP_TARGET_PASSWORD: TARGET_SECRET,
    }),
    'mutual CHAP',
  );
  const badTarget = await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1, `${CHAP_USER}%${CHAP_SECRET}@`)], {
    LIBISCSI_CHAP_TARGET_USERNAME: TARGET_USER,
    LIBISCSI_CHAP_TARGET_PASSWORD: 'not-the-array-secret',
  });
  assert.notEqual(badTarget.code, 0, 'the initiator refuses an array that proves the wrong secret');
  const log = array.output();
  for (const secret of [CHAP_SECRET, TARGET_SECRET])
    assert.ok(!log.includes(secret), 'no CHAP secret in the log');
  // Back to no CHAP for the other tests.
  const clear = await rest.call('PATCH', '/hosts?names=host-1', {
    chap: { host_user: '', host_password: '', target_user: '', target_password: '' },
  });
  assert.equal(clear.status, 200, JSON.stringify(clear.body));
  ok(await run('iscsi-inq', ['-i', HOST_IQN, lunUrl(1)]), 'no CHAP again');
});

test('a malformed PDU closes only its own connection; the target keeps serving', async () => {
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: array.iscsiPort });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 10_000);
    socket.on('connect', () => {
      // An opcode no initiator may send, then garbage and an absurd data segment length.
      const junk = Buffer.alloc(48, 0xff);
      junk[0] = 0x3f;
      socket.write(Buffer.concat([junk, randomBytes(4096)]));
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  assert.ok(closed, 'the target closed the bad connection');
  ok(await run('iscsi-ls', ['-s', '-i', HOST_IQN, `iscsi://127.0.0.1:${array.iscsiPort}`]), 'still serving');
  assert.equal(array.child.exitCode, null, 'the daemon lives');
});

test('EXTENDED COPY through the daemon: from one volume of the host to another; never to a volume it cannot see', async () => {
  const initiator = HOST_IQN.replace('host-1', 'xcopy-host');
  assert.equal((await rest.call('POST', '/hosts?names=xcopy-host', { iqns: [initiator] })).status, 200);
  assert.equal(
    (await rest.call('POST', '/hosts?names=xcopy-stranger', { iqns: [`${initiator}-2`] })).status,
    200,
  );
  const naaOf: Record<string, string> = {};
  const lunOf: Record<string, number> = {};
  for (const [name, host] of [
    ['xa', 'xcopy-host'],
    ['xb', 'xcopy-host'],
    ['xc', 'xcopy-stranger'],
  ] as const) {
    const made = await rest.call('POST', `/volumes?names=${name}`, { provisioned: VOLUME_BYTES });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    naaOf[name] = `624a9370${(made.body.items[0].serial as string).toLowerCase()}`;
    const c = await rest.call('POST', `/connections?host_names=${host}&volume_names=${name}`);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    lunOf[name] = c.body.items[0].lun;
  }
  const identification = (naa: string) => {
    const descriptor = Buffer.alloc(32);
    descriptor[0] = 0xe4;
    descriptor[4] = 0x01;
    descriptor[5] = 0x03;
    descriptor[7] = 16;
    Buffer.from(naa, 'hex').copy(descriptor, 8);
    descriptor.writeUIntBE(512, 29, 3);
    return descriptor;
  };
  const copyList = (destinationNaa: string) => {
    const header = Buffer.alloc(16);
    header[0] = 1;
    header.writeUInt16BE(64, 2);
    header.writeUInt32BE(28, 8);
    const segment = Buffer.alloc(28);
    segment[0] = 0x02;
    segment.writeUInt16BE(0x18, 2);
    segment.writeUInt16BE(0, 4);
    segment.writeUInt16BE(1, 6);
    segment.writeUInt16BE(8, 10);
    segment.writeBigUInt64BE(0n, 12);
    segment.writeBigUInt64BE(100n, 20);
    return Buffer.concat([header, identification(naaOf.xa!), identification(destinationNaa), segment]);
  };
  const cdb16 = (opcode: number, lba: number, blocks: number) => {
    const cdb = Buffer.alloc(16);
    cdb[0] = opcode;
    cdb.writeBigUInt64BE(BigInt(lba), 2);
    cdb.writeUInt32BE(blocks, 10);
    return [...cdb];
  };
  const data = randomBytes(4096);
  const open = (lun: number) =>
    RawSession.open({ port: array.iscsiPort, iqn: targetIqn, lun }, initiator, '400001370002');
  // The first command of a new nexus may meet a unit attention; one retry absorbs it.
  const once = async (session: RawSession, cdb: number[], dataOut?: Buffer, expectedIn = 0) => {
    const first = await session.command(cdb, dataOut, expectedIn);
    return first.sense?.[2] === 0x06 ? await session.command(cdb, dataOut, expectedIn) : first;
  };
  const onA = await open(lunOf.xa!);
  try {
    assert.equal((await once(onA, cdb16(0x8a, 0, 8), data)).status, 0, 'WRITE(16) to xa');
    const listBytes = (list: Buffer) => [0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, list.length, 0, 0];
    const copied = await once(onA, listBytes(copyList(naaOf.xb!)), copyList(naaOf.xb!));
    assert.equal(copied.status, 0, `EXTENDED COPY xa -> xb: ${copied.sense?.toString('hex')}`);
    const refused = await once(onA, listBytes(copyList(naaOf.xc!)), copyList(naaOf.xc!));
    assert.equal(refused.status, 0x02, 'a volume of another host is no copy target');
    assert.deepEqual([refused.sense![2]! & 0x0f, refused.sense![12], refused.sense![13]], [0x0a, 0x08, 0x04]);
  } finally {
    onA.close();
  }
  const onB = await open(lunOf.xb!);
  try {
    const read = await once(onB, cdb16(0x88, 100, 8), undefined, 4096);
    assert.equal(read.status, 0);
    assert.ok(read.data.equals(data), 'xb holds at LBA 100 what was written to xa at LBA 0');
  } finally {
    onB.close();
  }
});

test('a stretched pod volume over iSCSI: written through one array, read back through the other', async () => {
  const peer = await startArrayProcess({ name: 'iscsi-peer', dataDir: join(work.path, 'peer') });
  try {
    const other = await restSession(peer);
    await connectArrays(array, peer, 'sync-replication');
    assert.equal((await rest.call('POST', '/pods?names=ipod', {})).status, 200);
    assert.equal(
      (await rest.call('POST', '/volumes?names=ipod::v', { provisioned: VOLUME_BYTES })).status,
      200,
    );
    const stretch = await rest.call('POST', '/pods/arrays?group_names=ipod&member_names=iscsi-peer');
    assert.equal(stretch.status, 200, JSON.stringify(stretch.body));
    await waitFor(
      async () => {
        for (const session of [rest, other]) {
          const pod = (await session.call('GET', '/pods?names=ipod')).body.items?.[0];
          if (!pod?.arrays.every((m: { status: string }) => m.status === 'online')) return false;
        }
        return true;
      },
      60_000,
      () => 'the pod never came online on both arrays',
    );
    const iqnOf = async (session: typeof rest) =>
      (
        (await session.call('GET', '/ports')).body.items as Array<{ iqn: string | null; portal: string }>
      ).find((p) => p.iqn)!;
    const luns: number[] = [];
    for (const session of [rest, other]) {
      await session.call('POST', '/hosts?names=pod-host', { iqns: [HOST_IQN.replace('host-1', 'pod-host')] });
      const c = await session.call('POST', '/connections?host_names=pod-host&volume_names=ipod::v');
      assert.equal(c.status, 200, JSON.stringify(c.body));
      luns.push(c.body.items[0].lun);
    }
    const [here, there] = [await iqnOf(rest), await iqnOf(other)];
    assert.notEqual(here.iqn, there.iqn, 'one target per array');
    const opts = (port: { iqn: string | null; portal: string }, lun: number) =>
      `driver=iscsi,transport=tcp,portal=${port.portal},target=${port.iqn},lun=${lun},initiator-name=${HOST_IQN.replace('host-1', 'pod-host')}`;
    const data = randomBytes(4 * 1024 * 1024);
    const source = join(work.path, 'pod-in.raw');
    const back = join(work.path, 'pod-back.raw');
    await writeFile(source, data);
    ok(
      await run('qemu-img', [
        'convert',
        '-n',
        '-f',
        'raw',
        source,
        '--target-image-opts',
        opts(here, luns[0]!),
      ]),
      'write',
    );
    ok(
      await run('qemu-img', ['convert', '--image-opts', opts(there, luns[1]!), '-O', 'raw', back]),
      'read on the peer',
    );
    assert.ok(
      (await readFile(back)).subarray(0, data.length).equals(data),
      'the peer serves the mirrored bytes',
    );
    // The pod's volume has one serial on both arrays, so one NAA id: multipath sees one LU.
    const serials = await Promise.all(
      [rest, other].map(
        async (session) => (await session.call('GET', '/volumes?names=ipod::v')).body.items[0].serial,
      ),
    );
    assert.equal(serials[0], serials[1]);
    // One NAA on two arrays: a reservation kept by one array alone would fence a host there and
    // not on the other. Until they are shared, both arrays refuse them as unsupported.
    for (const [port, lun] of [
      [{ ...here, port: array.iscsiPort }, luns[0]!],
      [{ ...there, port: peer.iscsiPort }, luns[1]!],
    ] as const) {
      const session = await RawSession.open(
        { port: port.port, iqn: port.iqn!, lun },
        HOST_IQN.replace('host-1', 'pod-host'),
        '400001370001',
      );
      try {
        // The first command of a new nexus may meet a unit attention; one retry absorbs it.
        let register = await session.prOut(0, 0, 0n, 0x1234n, false);
        if (register.sense?.[2] === 0x06) register = await session.prOut(0, 0, 0n, 0x1234n, false);
        assert.equal(register.status, 0x02, 'CHECK CONDITION');
        assert.deepEqual(
          [register.sense![2]! & 0x0f, register.sense![12], register.sense![13]],
          [0x05, 0x20, 0x00],
          'ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE',
        );
        assert.equal((await session.prIn(0)).status, 0, 'PR IN still answers');
      } finally {
        session.close();
      }
    }
  } finally {
    await peer.stop();
  }
});
