// One storage array: the block engine, its objects, counters and what it exports. Protocol servers
// (REST, NBD) are started around it by the daemon.

import { ERADICATION_SWEEP_MS } from '../constants.js';
import { BlockEngine } from './engine/engine.js';
import { ArrayState } from './objects/array-state.js';
import { ArrayExports } from './objects/exports.js';
import { HostService } from './objects/hosts.js';
import { PerfRegistry } from './objects/perf.js';
import { PodService } from './objects/pods.js';
import { ProtectionGroupService } from './objects/protection-groups.js';
import type { ReplicationPort } from './objects/replication-port.js';
import { SpaceCalculator } from './objects/space.js';
import { VolumeService } from './objects/volumes.js';

export class StorageArray {
  readonly volumes: VolumeService;
  readonly hosts: HostService;
  readonly pgroups: ProtectionGroupService;
  readonly pods: PodService;
  /** Set by the daemon when replication runs; REST answers replication calls only then. */
  replication: ReplicationPort | null = null;
  readonly perf = new PerfRegistry();
  readonly space: SpaceCalculator;
  readonly exports: ArrayExports;
  private readonly sweepTimer: NodeJS.Timeout;

  private constructor(
    readonly engine: BlockEngine,
    readonly state: ArrayState,
  ) {
    this.volumes = new VolumeService(state);
    this.hosts = new HostService(state);
    this.pgroups = new ProtectionGroupService(state);
    this.pods = new PodService(state);
    this.space = new SpaceCalculator(state);
    this.exports = new ArrayExports(state, this.perf);
    this.sweepTimer = setInterval(() => {
      void this.volumes.eradicateExpired(Date.now()).catch(() => {});
      void this.pgroups.eradicateExpired(Date.now()).catch(() => {});
    }, ERADICATION_SWEEP_MS);
    this.sweepTimer.unref();
  }

  static async open(dataDir: string, name: string): Promise<StorageArray> {
    const engine = await BlockEngine.open(dataDir);
    const state = await ArrayState.load(engine, name);
    return new StorageArray(engine, state);
  }

  get name(): string {
    return this.state.identity.name;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.engine.close();
  }
}
