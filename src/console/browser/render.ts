// Browser code (see dom.ts for the rules): draws one ConsoleState into the page's sections.

import type { ArrayView, ConsoleState, VolumeServiceView } from '../state-types.js';
import {
  badge,
  byId,
  fillTable,
  formatBytes,
  formatClock,
  formatLatency,
  formatNumber,
  formatSeconds,
  h,
} from './dom.js';

export function definitions(pairs: Array<[string, Node | string]>): HTMLElement {
  return h('dl', {}, ...pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

export function capacity(array: ArrayView): Node | string {
  const space = array.space;
  if (!space) return '-';
  const percent = space.capacityBytes > 0 ? (100 * space.usedBytes) / space.capacityBytes : 0;
  const meter = h('meter', {
    min: '0',
    max: String(space.capacityBytes),
    value: String(space.usedBytes),
    title: `${percent.toFixed(1)} % used`,
  });
  return h(
    'span',
    {},
    meter,
    ` ${formatBytes(space.usedBytes)} of ${formatBytes(space.capacityBytes)} (${percent.toFixed(1)} %)`,
  );
}

export function arrayCard(array: ArrayView): HTMLElement {
  const perf = array.perf;
  const connections = h(
    'span',
    {},
    ...array.connections.map((c) =>
      h('span', { class: 'pair' }, `${c.remote} (${c.type}) `, badge(c.status)),
    ),
  );
  const reduction = array.space?.dataReduction;
  const rows: Array<[string, Node | string]> = [
    ['Capacity used', capacity(array)],
    ['Data reduction', reduction ? `${reduction.toFixed(1)} : 1` : '-'],
    ['IOPS (r / w)', perf ? `${formatNumber(perf.readIops)} / ${formatNumber(perf.writeIops)}` : '-'],
    [
      'Latency (r / w)',
      perf ? `${formatLatency(perf.readLatencyUsec)} / ${formatLatency(perf.writeLatencyUsec)}` : '-',
    ],
    [
      'Bandwidth (r / w)',
      perf ? `${formatBytes(perf.readBytesPerSec)}/s / ${formatBytes(perf.writeBytesPerSec)}/s` : '-',
    ],
    ['Connections', array.connections.length > 0 ? connections : 'none'],
    ['Pods / groups', `${array.pods.length} / ${array.pgroups.length}`],
  ];
  return h(
    'article',
    { class: 'card', 'data-array': array.name },
    h('h3', {}, `${array.name} `, badge(array.role), ' ', badge(array.daemonState)),
    h('p', { class: 'sub' }, `${array.restUrl}${array.version ? ` · Purity ${array.version}` : ''}`),
    array.error ? h('p', { class: 'error' }, array.error) : null,
    definitions(rows),
  );
}

export function renderArrays(state: ConsoleState): void {
  byId('arrays').replaceChildren(...state.arrays.map(arrayCard));
}

export function renderPods(state: ConsoleState): void {
  const rows = state.arrays.flatMap((array) =>
    array.pods.map((pod) => [
      array.name,
      pod.name,
      h(
        'span',
        {},
        ...pod.members.map((m) =>
          h(
            'span',
            { class: 'pair', 'data-pod-member': m.name },
            `${m.name}${m.preElected ? ' (pre-elected)' : ''} `,
            badge(m.status),
            m.progress === null ? '' : ` ${(100 * m.progress).toFixed(0)} %`,
          ),
        ),
      ),
      h('span', {}, `${pod.mediator || 'none'} `, badge(pod.members[0]?.mediatorStatus ?? 'n/a')),
      badge(pod.promotionStatus),
    ]),
  );
  fillTable('pods', rows, 'No pods yet: create a SyncReplicated or TriSync volume.');
}

export function renderPgroups(state: ConsoleState): void {
  const rows = state.arrays.flatMap((array) =>
    array.pgroups.map((g) => [
      array.name,
      g.name,
      g.replica ? h('span', {}, badge('replica'), ` of ${g.source}`) : badge('source'),
      h('span', {}, ...g.targets.map((t) => h('span', { class: 'pair' }, `${t.name} `, badge(t.status)))),
      String(g.volumeCount),
      formatSeconds(g.lagSeconds),
      formatClock(g.lastTransferAtMs),
      g.transferProgress === null ? '-' : `${(100 * g.transferProgress).toFixed(0)} %`,
    ]),
  );
  fillTable('pgroups', rows, 'No protection groups yet: create an AsyncReplicated or TriSync volume.');
}

export function renderVolumes(state: ConsoleState): void {
  const rows = state.cinder.volumes.map((v) => [
    v.name || '(no name)',
    h('code', { title: v.id }, v.id.slice(0, 8)),
    badge(v.status),
    badge(v.replicationStatus),
    v.volumeType,
    `${v.sizeGib} GiB`,
    v.host ?? '-',
  ]);
  fillTable('volumes', rows, state.cinder.error ? 'Cinder could not be read.' : 'No volumes.');
}

export function renderLinks(state: ConsoleState): void {
  const rows = state.lab.links.map((l) => [l.from, l.to, l.type, badge(l.state)]);
  fillTable('links', rows, 'No replication links.');
}

export function serviceRows(service: VolumeServiceView): Array<[string, Node | string]> {
  return [
    ['Host', service.host],
    ['State', badge(service.state)],
    ['Status', badge(service.status)],
    ['Replication status', h('span', { id: 'replication-status' }, badge(service.replicationStatus))],
    ['Active backend', h('span', { id: 'active-backend' }, service.activeBackendId ?? 'default (primary)')],
    ['Frozen', service.frozen ? 'yes' : 'no'],
    ['Disabled reason', service.disabledReason ?? '-'],
  ];
}

export function renderService(state: ConsoleState): void {
  const cinder = state.cinder;
  const parts: Array<Node | null> = [
    h('p', { class: 'sub' }, `${cinder.url} · daemon `, badge(cinder.daemonState)),
    cinder.error ? h('p', { class: 'error' }, cinder.error) : null,
    cinder.service
      ? definitions(serviceRows(cinder.service))
      : h('p', {}, `No volume service ${cinder.host}.`),
  ];
  byId('service').replaceChildren(...parts.filter((p): p is Node => p !== null));
  byId('lab-meta').textContent =
    `Lab started ${new Date(state.lab.startedAt).toLocaleString()} · mediator ${state.lab.mediatorState}`;
}
