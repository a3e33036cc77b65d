// The FlashArray driver's pure rules, without arrays: how volume types are read (replication
// kinds as exact strings, QoS and its validation, volume groups), the names it gives, and the
// replication state derived from the configuration and the active backend id.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FlashArray } from '../../src/cinder/driver/context.js';
import {
  InvalidQoSSpecs,
  InvalidReplicationTarget,
  InvalidVolumeType,
} from '../../src/cinder/driver/errors.js';
import {
  purityHostName,
  purityVolumeName,
  unmanagedName,
  volumeBaseName,
} from '../../src/cinder/driver/names.js';
import { replicationStateFor } from '../../src/cinder/driver/replication-state.js';
import {
  qosLimitsFor,
  qosSettingsOf,
  replicationKindOf,
  volumeGroupSpecOf,
} from '../../src/cinder/driver/type-specs.js';
import type { PurityClient } from '../../src/cinder/purity-client/index.js';
import { volumeType } from '../helpers/cinder-driver-env.js';

describe('volume type specs', () => {
  test('replication kind: `<is> <true word>`, then exact `<in> async|sync|trisync`, async by default', () => {
    const kind = (specs: Record<string, string>) => replicationKindOf(volumeType('t', specs));
    assert.equal(kind({}), null);
    assert.equal(kind({ replication_enabled: '<is> True' }), 'async');
    assert.equal(kind({ replication_enabled: '<is> yes', replication_type: '<in> sync' }), 'sync');
    assert.equal(kind({ replication_enabled: '<is> True', replication_type: '<in> trisync' }), 'trisync');
    assert.equal(kind({ replication_enabled: '<is> True', replication_type: '<in>  sync' }), null);
    assert.equal(kind({ replication_enabled: '<is> True', replication_type: 'sync' }), null);
    assert.equal(kind({ replication_enabled: '<is> False', replication_type: '<in> sync' }), null);
    assert.equal(kind({ replication_enabled: '<is>True' }), null);
    assert.equal(replicationKindOf(null), null);
  });

  test('QoS: associated specs win over extra specs; MB/s become bytes/s; limits validated', () => {
    const type = volumeType('q', { maxIOPS: '999' }, 'qos-1');
    assert.deepEqual(qosSettingsOf(type, { maxBWS: '100', maxIOPS_per_GB: '10' }), {
      iopsLimit: 0,
      bandwidthBytesPerSec: 100 * 1024 * 1024,
      iopsPerGiB: 10,
      bandwidthBytesPerSecPerGiB: 0,
    });
    assert.equal(qosSettingsOf(volumeType('n', { other: '1' }), null), null);
    assert.equal(qosSettingsOf(type, null), null, 'associated specs that cannot be read mean none');
    const refused: Record<string, string>[] = [
      { maxIOPS: '99' },
      { maxIOPS: '100000001' },
      { maxBWS: '524289' },
      { maxIOPS: '1.5' },
    ];
    for (const bad of refused)
      assert.throws(() => qosSettingsOf(volumeType('b', bad), null), InvalidQoSSpecs);
  });

  test('per-GB QoS counts only without an absolute limit, within Purity range', () => {
    const qos = qosSettingsOf(volumeType('p', { maxIOPS_per_GB: '30', maxBWS_per_GB: '1' }), null)!;
    assert.deepEqual(qosLimitsFor(qos, 10), { iopsLimit: 300, bandwidthBytesPerSec: 10 * 1024 * 1024 });
    assert.deepEqual(qosLimitsFor(qos, 1), { iopsLimit: 100, bandwidthBytesPerSec: 1024 * 1024 });
    assert.equal(qosLimitsFor(qos, 10_000_000).iopsLimit, 100_000_000);
    const fixed = qosSettingsOf(volumeType('f', { maxIOPS: '500', maxIOPS_per_GB: '30' }), null)!;
    assert.deepEqual(qosLimitsFor(fixed, 10), { iopsLimit: 500, bandwidthBytesPerSec: null });
  });

  test('volume group: name cleaned, QoS defaults to the maximum, bandwidth checked in bytes/s', () => {
    assert.deepEqual(volumeGroupSpecOf(volumeType('v', { 'flasharray:vg_name': 'db team_1' })), {
      name: 'db-team-1',
      iopsLimit: 100_000_000,
      bandwidthBytesPerSec: 549_755_813_888,
    });
    assert.equal(volumeGroupSpecOf(volumeType('v', {})), null);
    const slow = volumeType('v', { 'flasharray:vg_name': 'g', 'flasharray:vg_maxBWS': '1024' });
    assert.throws(() => volumeGroupSpecOf(slow), InvalidQoSSpecs);
  });
});

describe('names', () => {
  const id = '0b5d2c41-6f2a-4e4b-9d7a-3c1e2f4a5b6c';

  test('volumes: volume-<id>-cinder, in the pod for sync and trisync types', () => {
    assert.equal(purityVolumeName(id, null, 'cinder-pod'), `volume-${id}-cinder`);
    const sync = volumeType('s', { replication_enabled: '<is> True', replication_type: '<in> sync' });
    assert.equal(purityVolumeName(id, sync, 'cinder-pod'), `cinder-pod::volume-${id}-cinder`);
    const syncInGroup = volumeType('s', { ...sync.extraSpecs, 'flasharray:vg_name': 'g' });
    assert.throws(() => purityVolumeName(id, syncInGroup, 'cinder-pod'), InvalidVolumeType);
    const long = `${'x'.repeat(60)}`;
    assert.equal(volumeBaseName(long).length, 54);
    assert.ok(volumeBaseName(long).startsWith('volume-x'));
  });

  test('hosts: cleaned connector host, then the system uuid (or random hex), then -cinder', () => {
    const hex = () => 'f'.repeat(32);
    assert.equal(
      purityHostName(
        { host: 'compute_1.example.org.long-name', 'system uuid': 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE' },
        hex,
      ),
      'compute-1-example-org-l-aaaaaaaabbbbccccddddeeeeeeeeeeee-cinder',
    );
    assert.equal(
      purityHostName({ host: '--node', 'system uuid': 'not-a-uuid' }, hex),
      `node-${hex()}-cinder`,
    );
    assert.equal(unmanagedName('v'.repeat(60), '-unmanaged', 63), `${'v'.repeat(50)}-unmanaged`);
    assert.equal(unmanagedName('vol', '-unmanaged', 63), 'vol-unmanaged');
  });
});

describe('replication state', () => {
  const array = (
    name: string,
    backendId: string,
    type: 'sync' | 'async' | null,
    uniform = false,
  ): FlashArray => ({
    client: {} as PurityClient,
    name,
    id: `${name}-id`,
    version: '6.7.1',
    backendId,
    replicationType: type,
    uniform,
    safemode: true,
  });
  const primary = array('a', 'pure-1', null, true);
  const peer = array('b', 'peer', 'sync', true);
  const dr = array('c', 'dr', 'async');
  const inputs = { primary, primaryBackendId: 'pure-1', devices: [peer, dr], devicesConfigured: 2 };
  const summary = (active: string | null) => {
    const s = replicationStateFor(inputs, active);
    return {
      current: s.current.name,
      failedOver: s.failedOver,
      targets: s.targets.map((t) => `${t.backendId}:${t.replicationType}`),
      activeCluster: s.activeClusterEnabled ? s.activeClusterTargets.map((t) => t.backendId) : null,
      uniform: s.uniformTargets.map((t) => t.backendId),
    };
  };

  test('on the primary: the configured lists', () => {
    const configured = {
      current: 'a',
      failedOver: false,
      targets: ['peer:sync', 'dr:async'],
      activeCluster: ['peer'],
      uniform: ['peer'],
    };
    assert.deepEqual(summary(null), configured);
    assert.deepEqual(summary('default'), configured, 'a failback gives them back, no duplicate');
    assert.deepEqual(summary('pure-1'), configured);
  });

  test('failed over to the sync peer: the old primary is its sync peer', () => {
    assert.deepEqual(summary('peer'), {
      current: 'b',
      failedOver: true,
      targets: ['dr:async', 'pure-1:sync'],
      activeCluster: ['pure-1'],
      uniform: ['pure-1'],
    });
  });

  test('failed over to the async target: no ActiveCluster, nothing replicates back', () => {
    assert.deepEqual(summary('dr'), {
      current: 'c',
      failedOver: true,
      targets: ['peer:sync'],
      activeCluster: null,
      uniform: [],
    });
  });

  test('an unknown backend id is an invalid target; a dead primary is left out', () => {
    assert.throws(() => replicationStateFor(inputs, 'elsewhere'), InvalidReplicationTarget);
    const withoutPrimary = replicationStateFor({ ...inputs, primary: null }, 'peer');
    assert.deepEqual(
      withoutPrimary.targets.map((t) => t.backendId),
      ['dr'],
    );
    assert.equal(withoutPrimary.failedOverPrimary, null);
  });
});
