// /pods, /pods/arrays and /container-default-protections (spec purity-rest2.md §3.8, §3.13):
// the driver's ActiveCluster setup, ghost-pod retypes and SafeMode cleanup (driver spec §5, §9).
// Pod objects are named `POD::NAME`; the query encoder sends `::` as `%3A%3A`.

import type { Member } from './models.js';
import type {
  ContainerDefaultProtection,
  ContainerDefaultProtectionPatch,
  Pod,
  PodPatch,
  PodPost,
} from './models-replication.js';
import {
  type MembersListQuery,
  type MembersQuery,
  type NamedListQuery,
  type NamesQuery,
  type NoItems,
  Resource,
} from './resource.js';

export class PodsApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<Pod>('GET', '/pods', query);
  }
  post(query: NamesQuery & { with_default_protection?: boolean }, body: PodPost = {}) {
    return this.call<Pod>('POST', '/pods', query, body);
  }
  /** `destroy_contents` lets a pod holding volumes be destroyed with them (ghost-pod cleanup). */
  patch(query: NamesQuery & { destroy_contents?: boolean }, body: PodPatch) {
    return this.call<Pod>('PATCH', '/pods', query, body);
  }
  delete(query: NamesQuery & { eradicate_contents?: boolean }) {
    return this.call<NoItems>('DELETE', '/pods', query);
  }
}

/** Stretching (`post`) and unstretching (`delete`) a pod: `member_names` are remote array names. */
export class PodsArraysApi extends Resource {
  get(query: MembersListQuery = {}) {
    return this.call<Member>('GET', '/pods/arrays', query);
  }
  post(query: MembersQuery) {
    return this.call<Member>('POST', '/pods/arrays', query);
  }
  /** `with_unknown` forces removal of an array that cannot be reached. */
  delete(query: MembersQuery & { with_unknown?: boolean }) {
    return this.call<NoItems>('DELETE', '/pods/arrays', query);
  }
}

/** SafeMode default protections of a pod (arrays >= 6.3.4); the driver clears them on its pod. */
export class ContainerDefaultProtectionsApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<ContainerDefaultProtection>('GET', '/container-default-protections', query);
  }
  patch(query: NamesQuery, body: ContainerDefaultProtectionPatch) {
    return this.call<ContainerDefaultProtection>('PATCH', '/container-default-protections', query, body);
  }
}
