// /volumes, /volume-snapshots, /volumes/protection-groups, /volumes/tags and /volume-groups
// (spec purity-rest2.md §3.2-§3.4), with the parameters the Cinder driver passes (driver spec §6).

import type {
  Member,
  Tag,
  Volume,
  VolumeGroup,
  VolumeGroupPatch,
  VolumeGroupPost,
  VolumePatch,
  VolumePost,
  VolumeSnapshot,
  VolumeSnapshotPatch,
  VolumeSnapshotPost,
} from './models.js';
import {
  type ListQuery,
  type MembersListQuery,
  type MembersQuery,
  type NamedListQuery,
  type NamesQuery,
  type NoItems,
  Resource,
} from './resource.js';

export type VolumesPostQuery = NamesQuery & {
  /** Needed to copy onto an existing volume (restore, failover); without it: "already exists". */
  overwrite?: boolean;
  /** SafeMode arrays (Purity >= 6.3.4): the driver passes `pure_safemode_enabled`. */
  with_default_protection?: boolean;
  add_to_protection_group_names?: readonly string[];
};

export type VolumesPatchQuery = NamesQuery & {
  /** Shrinking `provisioned` needs it. */
  truncate?: boolean;
  add_to_protection_group_names?: readonly string[];
  remove_from_protection_group_names?: readonly string[];
};

export class VolumesApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<Volume>('GET', '/volumes', query);
  }
  post(query: VolumesPostQuery, body: VolumePost) {
    return this.call<Volume>('POST', '/volumes', query, body);
  }
  patch(query: VolumesPatchQuery, body: VolumePatch) {
    return this.call<Volume>('PATCH', '/volumes', query, body);
  }
  /** Eradicates: the volume must have been destroyed (PATCH destroyed=true) first. */
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/volumes', query);
  }
}

export type VolumeSnapshotsGetQuery = NamedListQuery & { source_names?: readonly string[] };

export class VolumeSnapshotsApi extends Resource {
  get(query: VolumeSnapshotsGetQuery = {}) {
    return this.call<VolumeSnapshot>('GET', '/volume-snapshots', query);
  }
  /** One snapshot per source, named `SOURCE.SUFFIX` (or `SOURCE.N` without a suffix). */
  post(query: { source_names: readonly string[] }, body: VolumeSnapshotPost = {}) {
    return this.call<VolumeSnapshot>('POST', '/volume-snapshots', query, body);
  }
  patch(query: NamesQuery, body: VolumeSnapshotPatch) {
    return this.call<VolumeSnapshot>('PATCH', '/volume-snapshots', query, body);
  }
  delete(query: NamesQuery) {
    return this.call<NoItems>('DELETE', '/volume-snapshots', query);
  }
}

/** The same membership as /protection-groups/volumes, seen from the volume. */
export class VolumesProtectionGroupsApi extends Resource {
  get(query: MembersListQuery = {}) {
    return this.call<Member>('GET', '/volumes/protection-groups', query);
  }
  post(query: MembersQuery) {
    return this.call<Member>('POST', '/volumes/protection-groups', query);
  }
  delete(query: MembersQuery) {
    return this.call<NoItems>('DELETE', '/volumes/protection-groups', query);
  }
}

export type TagsQuery = { resource_names: readonly string[] };

/** Tags the driver sets on every create, attach and detach; it ignores the results. */
export class VolumesTagsApi extends Resource {
  get(query: ListQuery & { resource_names?: readonly string[]; namespaces?: readonly string[] } = {}) {
    return this.call<Tag>('GET', '/volumes/tags', query);
  }
  /** 1 to 30 tags per call. */
  putBatch(query: TagsQuery, tags: readonly Tag[]) {
    return this.call<Tag>('PUT', '/volumes/tags/batch', query, tags);
  }
  delete(query: TagsQuery & { namespaces?: readonly string[]; keys?: readonly string[] }) {
    return this.call<NoItems>('DELETE', '/volumes/tags', query);
  }
}

/** For volume types with `flasharray:vg_name`; volumes in a group are named `VG/VOL`. */
export class VolumeGroupsApi extends Resource {
  get(query: NamedListQuery = {}) {
    return this.call<VolumeGroup>('GET', '/volume-groups', query);
  }
  post(query: NamesQuery, body: VolumeGroupPost = {}) {
    return this.call<VolumeGroup>('POST', '/volume-groups', query, body);
  }
  patch(query: NamesQuery & { destroy_contents?: boolean }, body: VolumeGroupPatch) {
    return this.call<VolumeGroup>('PATCH', '/volume-groups', query, body);
  }
  delete(query: NamesQuery & { eradicate_contents?: boolean }) {
    return this.call<NoItems>('DELETE', '/volume-groups', query);
  }
  /** Members of groups: `group_names` / `member_names`. */
  getVolumes(query: MembersListQuery = {}) {
    return this.call<Member>('GET', '/volume-groups/volumes', query);
  }
}
