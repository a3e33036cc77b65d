// /protection-groups (+ /volumes, /targets) and /protection-group-snapshots (+ /transfer)
// (spec purity-rest2.md §3.10-§3.11): the driver's async replication, consistency groups and
// failover (driver spec §5, §11, §12). On a target array the replica group is `SOURCE:PG` (or
// `POD:PG` for a group inside a pod); the query encoder sends `:` as `%3A`.

import type { Member } from './models.js';
import type {
  ProtectionGroup,
  ProtectionGroupPatch,
  ProtectionGroupSnapshot,
  ProtectionGroupSnapshotPatch,
  ProtectionGroupSnapshotPost,
  ProtectionGroupSnapshotTransfer,
  ProtectionGroupTarget,
} from './models-replication.js';
import {
  type MembersListQuery,
  type MembersQuery,
  type NamedListQuery,
  type NamesQuery,
  type NoItems,
  Resource,
} from './resource.js';

export class ProtectionGroupsApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<ProtectionGroup>('GET', '/protection-groups', query);
  }
  /** The driver sends no body. `source_names` + `overwrite` copy another group. */
  post(query: NamesQuery & { source_names?: readonly string[]; overwrite?: boolean }) {
    return this.call<ProtectionGroup>('POST', '/protection-groups', query);
  }
  patch(query: NamesQuery, body: ProtectionGroupPatch) {
    return this.call<ProtectionGroup>('PATCH', '/protection-groups', query, body);
  }
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/protection-groups', query);
  }
}

/** Volume members of groups: `group_names` = groups, `member_names` = volumes. */
export class ProtectionGroupsVolumesApi extends Resource {
  get(query: MembersListQuery = {}) {
    return this.call<Member>('GET', '/protection-groups/volumes', query);
  }
  post(query: MembersQuery) {
    return this.call<Member>('POST', '/protection-groups/volumes', query);
  }
  /** A volume that is not a member: "could not be found" (the driver ignores it). */
  delete(query: MembersQuery) {
    return this.call<NoItems>('DELETE', '/protection-groups/volumes', query);
  }
}

/** Targets of groups: `member_names` are remote array names. */
export class ProtectionGroupsTargetsApi extends Resource {
  get(query: MembersListQuery = {}) {
    return this.call<ProtectionGroupTarget>('GET', '/protection-groups/targets', query);
  }
  /** On the source; the target array then holds the replica group `SOURCE:PG`. */
  post(query: MembersQuery) {
    return this.call<ProtectionGroupTarget>('POST', '/protection-groups/targets', query);
  }
  /** On the target, `group_names: ['SOURCE:PG']`, body `{allowed: true}`. */
  patch(
    query: { group_names: readonly string[]; member_names?: readonly string[] },
    body: { allowed: boolean },
  ) {
    return this.call<ProtectionGroupTarget>('PATCH', '/protection-groups/targets', query, body);
  }
  delete(query: MembersQuery) {
    return this.call<NoItems>('DELETE', '/protection-groups/targets', query);
  }
}

export type ProtectionGroupSnapshotsPostQuery = {
  source_names: readonly string[];
  /** Apply the groups' retention now (local and remote). */
  apply_retention?: boolean;
  /** Send to every allowed target at once. */
  replicate_now?: boolean;
  /** Queue after earlier transfers; cannot be combined with `replicate_now`. */
  replicate?: boolean;
  /** Destroyed and eradicated an hour after it is taken. */
  for_replication?: boolean;
};

export class ProtectionGroupSnapshotsApi extends Resource {
  get(query: NamedListQuery & { source_names?: readonly string[] } = {}) {
    return this.call<ProtectionGroupSnapshot>('GET', '/protection-group-snapshots', query);
  }
  /** `PG.SUFFIX` plus one volume snapshot `PG.SUFFIX.VOL` per member volume. */
  post(query: ProtectionGroupSnapshotsPostQuery, body: ProtectionGroupSnapshotPost = {}) {
    return this.call<ProtectionGroupSnapshot>('POST', '/protection-group-snapshots', query, body);
  }
  patch(query: NamesQuery, body: ProtectionGroupSnapshotPatch) {
    return this.call<ProtectionGroupSnapshot>('PATCH', '/protection-group-snapshots', query, body);
  }
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/protection-group-snapshots', query);
  }
  /**
   * Transfer state. The driver's failover passes the replica *group* name in `names`
   * (`['SOURCE:PG']`) with `destroyed: false`, `filter: 'progress="1.0"'`, `sort: ['started-']`.
   */
  getTransfer(query: NamedListQuery & { source_names?: readonly string[] } = {}) {
    return this.call<ProtectionGroupSnapshotTransfer>('GET', '/protection-group-snapshots/transfer', query);
  }
}
