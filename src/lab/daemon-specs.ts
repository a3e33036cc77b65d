// The command line of each lab daemon: the same `tandem ... start` an operator would type, with
// the lab's ports, data directories and generated files.

import type { DaemonSpec } from './daemon-process.js';
import { type ArrayName, hostPort, type LabPaths, type LabPorts } from './layout.js';

/** First start makes a TLS certificate (openssl); a restart replays the journal. */
const ARRAY_READY_TIMEOUT_MS = 60_000;
const MEDIATOR_READY_TIMEOUT_MS = 15_000;
/** The driver sets up its pod and protection groups on all three arrays before the API opens. */
const CINDER_READY_TIMEOUT_MS = 120_000;

export function arraySpec(name: ArrayName, paths: LabPaths, ports: LabPorts): DaemonSpec {
  const p = ports.arrays[name];
  return {
    name,
    args: [
      'array',
      'start',
      '--name',
      name,
      '--data-dir',
      paths.arrayDir(name),
      '--rest',
      hostPort(p.rest),
      '--nbd',
      hostPort(p.nbd),
      '--replication',
      hostPort(p.replication),
      '--iscsi',
      hostPort(p.iscsi),
      // Pods with Purity's default mediator (the driver's cinder-pod) are mediated by the lab's.
      '--mediator',
      `http://${hostPort(ports.mediator)}`,
    ],
    readyMarker: `array ${name} is up`,
    readyTimeoutMs: ARRAY_READY_TIMEOUT_MS,
  };
}

export function mediatorSpec(paths: LabPaths, ports: LabPorts): DaemonSpec {
  return {
    name: 'mediator',
    args: ['mediator', 'start', '--data-dir', paths.mediator, '--listen', hostPort(ports.mediator)],
    readyMarker: 'mediator is up',
    readyTimeoutMs: MEDIATOR_READY_TIMEOUT_MS,
  };
}

/** Listen address and everything else come from the generated cinder.conf. */
export function cinderSpec(paths: LabPaths): DaemonSpec {
  return {
    name: 'cinder',
    args: ['cinder', 'start', '--config-file', paths.cinderConf, '--identity-file', paths.identity],
    readyMarker: 'cinder is up',
    readyTimeoutMs: CINDER_READY_TIMEOUT_MS,
  };
}
