// Pods: namespaces of volumes (POD::VOL) that can be stretched across two arrays. Here only what
// one array records; stretching, mirroring and failover are src/replication/sync.

import { randomUUID } from 'node:crypto';
import type { ArrayState } from './array-state.js';
import { objectErrors } from './errors.js';
import { OBJECT_NAME, type PodRecord, type VolumeRecord } from './model.js';

/**
 * Purity's name for "the default (cloud) mediator" (Pure1): here the mediator the array was
 * started with (`tandem array start --mediator URL`), or none.
 */
export const DEFAULT_MEDIATOR = 'purestorage';

export interface PodChanges {
  name?: string;
  destroyed?: boolean;
  failoverPreferences?: string[];
  mediator?: string;
  requestedPromotionState?: 'promoted' | 'demoted';
}

export class PodService {
  constructor(private readonly state: ArrayState) {}

  require(name: string): PodRecord {
    const pod = this.state.podByName(name);
    if (!pod) throw objectErrors.notFound('Pod', name);
    return pod;
  }

  volumesOf(pod: PodRecord): VolumeRecord[] {
    return [...this.state.volumes.values()].filter((v) => v.podId === pod.id);
  }

  isStretched(pod: PodRecord): boolean {
    return pod.arrays.length > 1;
  }

  async create(name: string, failoverPreferences: string[] = []): Promise<PodRecord> {
    if (!OBJECT_NAME.test(name)) throw objectErrors.invalid(name, 'Invalid pod name.');
    if (this.state.podByName(name)) throw objectErrors.exists('Pod', name);
    const self = { id: this.state.identity.id, name: this.state.identity.name };
    const pod: PodRecord = {
      kind: 'pod',
      id: randomUUID(),
      name,
      createdMs: Date.now(),
      destroyed: false,
      destroyedAtMs: null,
      arrays: [self],
      failoverPreferences,
      mediator: DEFAULT_MEDIATOR,
      leaderArrayId: self.id,
      epoch: 0,
    };
    this.state.pods.set(pod.id, pod);
    await this.state.persist([pod]);
    return pod;
  }

  /** Records a pod stretched here from another array (same id and name on both). */
  async adopt(pod: PodRecord): Promise<PodRecord> {
    const existing = this.state.pods.get(pod.id);
    if (existing) {
      Object.assign(existing, pod);
      await this.state.persist([existing]);
      return existing;
    }
    if (this.state.podByName(pod.name)) throw objectErrors.exists('Pod', pod.name);
    const copy = { ...pod, arrays: pod.arrays.map((a) => ({ ...a })) };
    this.state.pods.set(copy.id, copy);
    await this.state.persist([copy]);
    return copy;
  }

  async update(name: string, changes: PodChanges): Promise<PodRecord> {
    const pod = this.require(name);
    if (changes.name !== undefined && changes.name !== pod.name) {
      if (this.isStretched(pod)) throw objectErrors.invalid(name, 'A stretched pod cannot be renamed.');
      if (!OBJECT_NAME.test(changes.name)) throw objectErrors.invalid(changes.name, 'Invalid pod name.');
      if (this.state.podByName(changes.name)) throw objectErrors.exists('Pod', changes.name);
      const volumes = this.volumesOf(pod);
      pod.name = changes.name;
      for (const volume of volumes)
        volume.name = `${changes.name}::${volume.name.slice(volume.name.indexOf('::') + 2)}`;
    }
    if (changes.failoverPreferences !== undefined) pod.failoverPreferences = [...changes.failoverPreferences];
    if (changes.mediator !== undefined && changes.mediator !== pod.mediator) {
      // Both arrays must ask the same mediator about every split: switching one while the other
      // still asks the old one could let both win. Set it before stretching.
      if (this.isStretched(pod))
        throw objectErrors.invalid(
          name,
          'The mediator of a stretched pod cannot be changed: set it before stretching the pod.',
        );
      pod.mediator = changes.mediator;
    }
    if (changes.requestedPromotionState !== undefined) {
      // A stretched pod is active on both arrays (ActiveCluster): promotion is for pods that are not.
      if (this.isStretched(pod))
        throw objectErrors.invalid(name, 'A stretched pod cannot be promoted or demoted.');
      pod.promotionStatus = changes.requestedPromotionState;
    }
    if (changes.destroyed !== undefined && changes.destroyed !== pod.destroyed) {
      if (changes.destroyed && this.volumesOf(pod).some((v) => !v.destroyed))
        throw objectErrors.invalid(name, 'A pod can only be destroyed if it is empty.');
      if (changes.destroyed && this.isStretched(pod))
        throw objectErrors.invalid(name, 'A stretched pod cannot be destroyed.');
      pod.destroyed = changes.destroyed;
      pod.destroyedAtMs = changes.destroyed ? Date.now() : null;
    }
    await this.state.persist([pod, ...this.volumesOf(pod)]);
    return pod;
  }

  async eradicate(name: string): Promise<void> {
    const pod = this.require(name);
    if (!pod.destroyed) throw objectErrors.notDestroyed('Pod', name);
    if (this.volumesOf(pod).length > 0)
      throw objectErrors.invalid(name, 'A pod can only be eradicated if it is empty.');
    this.state.pods.delete(pod.id);
    await this.state.persist([], [pod]);
  }

  /** Forgets a pod this array no longer holds (unstretched away from here). */
  async forget(pod: PodRecord): Promise<void> {
    const volumes = this.volumesOf(pod);
    for (const volume of volumes) this.state.volumes.delete(volume.id);
    const ids = new Set(volumes.map((v) => v.id));
    const connections = this.state.connections.filter((c) => ids.has(c.volumeId));
    this.state.connections = this.state.connections.filter((c) => !ids.has(c.volumeId));
    this.state.pods.delete(pod.id);
    await this.state.persist([], [pod, ...volumes, ...connections]);
  }
}
