// The purefa_* families, named and labelled as Pure's FlashArray OpenMetrics exporter writes them
// (PureStorage-OpenConnect/pure-fa-openmetrics-exporter, internal/openmetrics-exporter), so that
// dashboards and alert rules written for a FlashArray work against a Tandem array. Values come
// from the array's objects in-process, the same ones the REST endpoints the exporter reads show.

import type { StorageArray } from '../array/array.js';
import type { PodRecord } from '../array/objects/model.js';
import type { PodArrayStatus } from '../array/objects/replication-port.js';
import type { SpaceView } from '../array/objects/space.js';
import { PURITY_VERSION } from '../array/rest/views.js';
import type { Labels, MetricSet } from './exposition.js';
import { perfFamilies, sumRates, writePerf } from './perf-families.js';

/** Pure's NAA prefix: a volume's naa_id is this plus its serial (the exporter's volumes collector). */
const NAA_PREFIX = 'naa.624a9370';
const PERCENT = 100;

/** The space dimensions a pod reports: sums over its volumes (ratios do not add up). */
const POD_SPACE_DIMENSIONS = [
  'shared',
  'snapshots',
  'total_physical',
  'total_provisioned',
  'unique',
  'virtual',
] as const;

/** The array's controllers as GET /controllers lists them. */
const CONTROLLER_NAMES = ['CT0', 'CT1'];

export function collectArrayFamilies(set: MetricSet, array: StorageArray, capacityBytes: number): void {
  set.gauge('purefa_info', 'FlashArray system information')(
    {
      array_name: array.name,
      os: 'Purity//FA',
      subscription_type: '',
      system_id: array.state.identity.id,
      version: PURITY_VERSION,
    },
    1,
  );
  writePerf(perfFamilies(set, 'array', 'array'), {}, array.perf.array.rates());
  arraySpace(set, array.space.array(), capacityBytes);
  volumes(set, array);
  pods(set, array);
  hardware(set, array);
}

/** Pure's exporter puts the ratios (thin_provisioning, total_reduction) in the bytes family too. */
function spaceDimensions(space: SpaceView): Array<[string, number]> {
  return [
    ['shared', space.shared],
    ['snapshots', space.snapshots],
    ['system', space.system],
    ['thin_provisioning', space.thin_provisioning],
    ['total_physical', space.total_physical],
    ['total_provisioned', space.total_provisioned],
    ['total_reduction', space.total_reduction],
    ['unique', space.unique],
    ['virtual', space.virtual],
  ];
}

function arraySpace(set: MetricSet, space: SpaceView, capacityBytes: number): void {
  set.gauge('purefa_array_space_data_reduction_ratio', 'FlashArray array space data reduction')(
    {},
    space.data_reduction,
  );
  const bytes = set.gauge('purefa_array_space_bytes', 'FlashArray array space in bytes');
  bytes({ space: 'capacity' }, capacityBytes);
  for (const [dimension, value] of spaceDimensions(space)) bytes({ space: dimension }, value);
  const used = space.system + space.shared + space.snapshots + space.unique;
  bytes({ space: 'empty' }, Math.max(0, capacityBytes - used));
  set.gauge('purefa_array_space_utilization', 'FlashArray array space utilization in percent')(
    {},
    capacityBytes > 0 ? (used / capacityBytes) * PERCENT : 0,
  );
}

function volumes(set: MetricSet, array: StorageArray): void {
  const perf = perfFamilies(set, 'volume', 'volume');
  const reduction = set.gauge(
    'purefa_volume_space_data_reduction_ratio',
    'FlashArray volume space data reduction',
  );
  const bytes = set.gauge('purefa_volume_space_bytes', 'FlashArray volume space in bytes');
  const iopsLimit = set.gauge('purefa_volume_qos_iops_limit', 'FlashArray volume QoS IOPs limit');
  const bandwidthLimit = set.gauge(
    'purefa_volume_qos_bandwidth_bytes_per_sec_limit',
    'FlashArray volume maximum QoS bandwidth limit in bytes per second',
  );
  for (const volume of array.state.volumes.values()) {
    if (volume.destroyed) continue;
    const naaId = `${NAA_PREFIX}${volume.serial}`;
    const pod = volume.podId ? (array.state.pods.get(volume.podId)?.name ?? '') : '';
    const owner: Labels = { naa_id: naaId, name: volume.name, pod, volume_group: '' };
    writePerf(perf, { naa_id: naaId, name: volume.name }, array.perf.of(volume.id).rates());
    const space = array.space.volume(volume);
    reduction(owner, space.data_reduction);
    for (const [dimension, value] of spaceDimensions(space)) bytes({ ...owner, space: dimension }, value);
    if (volume.qos.iopsLimit !== null) iopsLimit(owner, volume.qos.iopsLimit);
    if (volume.qos.bandwidthLimitBytesPerSec !== null)
      bandwidthLimit(owner, volume.qos.bandwidthLimitBytesPerSec);
  }
}

/** Each member as GET /pods shows it; every member online when replication does not run here. */
export function podStatuses(array: StorageArray, pod: PodRecord): PodArrayStatus[] {
  const fallback = (member: { id: string; name: string }): PodArrayStatus => ({
    ...member,
    status: 'online',
    mediatorStatus: 'online',
    preElected: false,
    progress: null,
  });
  return array.replication?.podStatus(pod) ?? pod.arrays.map(fallback);
}

function pods(set: MetricSet, array: StorageArray): void {
  const perf = perfFamilies(set, 'pod', 'pod');
  const reduction = set.gauge('purefa_pod_space_data_reduction_ratio', 'FlashArray pod space data reduction');
  const bytes = set.gauge('purefa_pod_space_bytes', 'FlashArray pod space in bytes');
  const mediator = set.gauge('purefa_pod_mediator_status', 'FlashArray pod mediator status');
  for (const pod of array.state.pods.values()) {
    if (pod.destroyed) continue;
    const members = array.pods.volumesOf(pod).filter((v) => !v.destroyed);
    writePerf(perf, { name: pod.name }, sumRates(members.map((v) => array.perf.of(v.id).rates())));
    const spaces = members.map((v) => array.space.volume(v));
    const total = (pick: (s: SpaceView) => number) => spaces.reduce((sum, s) => sum + pick(s), 0);
    const footprint = total((s) => s.footprint);
    reduction({ name: pod.name }, footprint > 0 ? Math.max(1, total((s) => s.virtual) / footprint) : 1);
    for (const dimension of POD_SPACE_DIMENSIONS)
      bytes(
        { name: pod.name, space: dimension },
        total((s) => s[dimension]),
      );
    for (const status of podStatuses(array, pod)) {
      const labels = {
        array: status.name,
        mediator: pod.mediator,
        pod: pod.name,
        status: status.mediatorStatus,
      };
      mediator(labels, status.mediatorStatus === 'online' ? 1 : 0);
    }
  }
}

/**
 * The two controllers are one daemon: both are `ok` while its engine destages, `critical` once
 * destaging fails (writes then pile up in the overlay and will stop). As in Pure's exporter the
 * value is always 1 and the status is the label.
 */
function hardware(set: MetricSet, array: StorageArray): void {
  const status = set.gauge('purefa_hw_component_status', 'FlashArray hardware component status');
  const healthy = array.engine.stats().lastDestageError === null;
  for (const name of CONTROLLER_NAMES) {
    const labels = {
      component_name: name,
      component_type: 'controller',
      component_status: healthy ? 'ok' : 'critical',
    };
    status(labels, 1);
  }
}
