// What GET /console/api/state answers: the lab as the console draws it. The server fills it (from
// each array's REST API and the Cinder API) and the page only renders it, so this file is shared
// by both sides (the browser modules import its types only). No field ever holds a secret: no API
// token, session token, Keystone token or password.

export interface ArrayPerfView {
  readIops: number;
  writeIops: number;
  readLatencyUsec: number;
  writeLatencyUsec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
}

export interface ArraySpaceView {
  capacityBytes: number;
  /** Physical bytes used after data reduction (Purity's total_physical). */
  usedBytes: number;
  provisionedBytes: number;
  dataReduction: number | null;
}

export interface PodMemberView {
  name: string;
  /** online, offline, resyncing, unknown ... as this array sees the member. */
  status: string;
  mediatorStatus: string;
  preElected: boolean;
  progress: number | null;
}

export interface PodView {
  name: string;
  mediator: string;
  promotionStatus: string;
  members: PodMemberView[];
}

export interface PgroupTargetView {
  name: string;
  allowed: boolean;
  status: string;
}

export interface PgroupView {
  name: string;
  /** The array the group replicates from (this array, or the source of a replica group). */
  source: string;
  replica: boolean;
  pod: string | null;
  volumeCount: number;
  targets: PgroupTargetView[];
  snapshotCount: number;
  /** Now minus the creation time of the newest snapshot whose transfer completed: the RPO now. */
  lagSeconds: number | null;
  /** When that transfer completed (ms since the epoch). */
  lastTransferAtMs: number | null;
  /** Progress of the newest snapshot's transfer, 0..1. */
  transferProgress: number | null;
}

export interface ConnectionView {
  remote: string;
  type: string;
  status: string;
}

export interface ArrayView {
  name: string;
  role: string;
  /** The lab daemon's state: running, stopped, killed. */
  daemonState: string;
  restUrl: string;
  /** Why the array could not be read this time; null when it answered. */
  error: string | null;
  version: string | null;
  space: ArraySpaceView | null;
  perf: ArrayPerfView | null;
  connections: ConnectionView[];
  pods: PodView[];
  pgroups: PgroupView[];
}

export interface VolumeServiceView {
  host: string;
  state: string;
  status: string;
  replicationStatus: string;
  activeBackendId: string | null;
  frozen: boolean;
  disabledReason: string | null;
}

export interface CinderVolumeView {
  id: string;
  name: string;
  status: string;
  replicationStatus: string;
  volumeType: string;
  sizeGib: number;
  host: string | null;
}

export interface FailoverTargetView {
  backendId: string;
  /** sync or async */
  type: string;
  /** The lab array the device points at, when it is one of them. */
  array: string | null;
}

export interface CinderView {
  url: string;
  host: string;
  daemonState: string;
  error: string | null;
  service: VolumeServiceView | null;
  volumes: CinderVolumeView[];
  /** The replication devices of the backend: what failover_host may name. */
  targets: FailoverTargetView[];
}

export interface LinkView {
  from: string;
  to: string;
  type: string;
  state: string;
}

export interface ConsoleState {
  /** When the server assembled this (ms since the epoch). */
  atMs: number;
  lab: {
    startedAt: string;
    controlUrl: string;
    /** The Keystone user whose password the failover dialog asks for (its name, never the password). */
    adminUser: string;
    mediatorState: string;
    links: LinkView[];
  };
  arrays: ArrayView[];
  cinder: CinderView;
}

/** The answer to POST /console/api/failover. */
export interface FailoverAccepted {
  backendId: string;
  /** When Cinder had accepted it (server time, as ConsoleState.atMs): later states show its effect. */
  acceptedAtMs: number;
  service: VolumeServiceView | null;
}

/** Every error answer of the console API. */
export interface ConsoleErrorBody {
  error: { code: string; message: string };
}
