// Who reaches what over iSCSI, as the array's records change. The array keeps what an initiator
// reaches between commands instead of walking every host, connection and volume for each one, so
// every kind of change must show in the very next command: connections added and removed, IQNs
// taken off a host, a host leaving its group, a destroyed volume, a renamed host.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageArray } from '../../src/array/array.js';
import { IoError } from '../../src/array/engine/block-device.js';
import { ArrayIscsiAccess, volumeNaa } from '../../src/array/objects/iscsi-access.js';

const IQN = 'iqn.2026-11.test:node1';
const MIB = 1024 * 1024;

async function withArray(fn: (array: StorageArray) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-iscsi-access-'));
  const array = await StorageArray.open(dir, 'access');
  try {
    await fn(array);
  } finally {
    await array.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('iSCSI access follows every change of hosts, groups, connections and volumes at the next command', async () => {
  await withArray(async (array) => {
    const access = new ArrayIscsiAccess(array.state, array.exports);
    const v1 = await array.volumes.create('v1', 8 * MIB);
    const v2 = await array.volumes.create('v2', 8 * MIB);
    await array.hosts.createHost('h1', { iqns: [IQN] });
    await array.hosts.connect({ hostName: 'h1' }, v1, 1);

    const unit = access.open(IQN, 1);
    assert.equal(unit?.naa, volumeNaa(v1.serial));
    assert.equal(access.open(IQN, 1), unit, 'the same LU while nothing changed');
    assert.deepEqual(access.luns(IQN), [1]);
    assert.equal(access.open('iqn.2026-11.test:stranger', 1), null);

    await array.hosts.connect({ hostName: 'h1' }, v2, 2);
    assert.deepEqual(access.luns(IQN), [1, 2]);
    assert.equal(access.open(IQN, 2)?.naa, volumeNaa(v2.serial));

    await array.hosts.disconnect({ hostName: 'h1' }, v1);
    assert.equal(access.open(IQN, 1), null, 'disconnected');
    assert.deepEqual(access.luns(IQN), [2]);

    await array.hosts.updateHost('h1', { removeIqns: [IQN] });
    assert.equal(access.open(IQN, 2), null, 'the IQN left the host');
    assert.deepEqual(access.luns(IQN), []);
    await array.hosts.updateHost('h1', { addIqns: [IQN.toUpperCase()] });
    assert.equal(access.open(IQN, 2)?.naa, volumeNaa(v2.serial), 'IQNs compare case-insensitively');

    // Group membership changes the host record in place: the state's revision tells.
    await array.hosts.createGroup('g');
    await array.hosts.setMembership('g', 'h1', true);
    await array.hosts.connect({ hostGroupName: 'g' }, v1, 5);
    assert.equal(access.open(IQN, 5)?.naa, volumeNaa(v1.serial));
    await array.hosts.setMembership('g', 'h1', false);
    assert.equal(access.open(IQN, 5), null, 'the host left its group');
    assert.deepEqual(access.luns(IQN), [2]);

    await array.hosts.updateHost('h1', { name: 'h1-renamed' });
    assert.equal(access.open(IQN, 2)?.naa, volumeNaa(v2.serial), 'a renamed host keeps its connections');

    await array.volumes.update('v2', { destroyed: true });
    assert.equal(access.open(IQN, 2), null, 'destroyed');
    assert.deepEqual(access.luns(IQN), []);
  });
});

test('a device stops serving I/O at once when its volume is no longer connected to any host', async () => {
  await withArray(async (array) => {
    const volume = await array.volumes.create('v', 8 * MIB);
    await array.hosts.createHost('h', { iqns: [IQN] });
    await array.hosts.createGroup('g');
    await array.hosts.setMembership('g', 'h', true);
    await array.hosts.connect({ hostGroupName: 'g' }, volume, 3);
    const unit = new ArrayIscsiAccess(array.state, array.exports).open(IQN, 3);
    assert.ok(unit);
    await unit.device.write(0, Buffer.alloc(4096, 0x5a));
    assert.deepEqual(await unit.device.read(0, 4096), Buffer.alloc(4096, 0x5a));

    // The group's only member leaves: the volume is still connected, to a group of no host.
    await array.hosts.setMembership('g', 'h', false);
    await assert.rejects(
      Promise.resolve().then(() => unit.device.read(0, 4096)),
      (error: unknown) => error instanceof IoError && error.code === 'offline',
    );
    await array.hosts.setMembership('g', 'h', true);
    assert.deepEqual(await unit.device.read(0, 4096), Buffer.alloc(4096, 0x5a));

    await array.hosts.disconnect({ hostGroupName: 'g' }, volume);
    await assert.rejects(
      Promise.resolve().then(() => unit.device.write(0, Buffer.alloc(4096))),
      (error: unknown) => error instanceof IoError && error.code === 'offline',
    );
  });
});
