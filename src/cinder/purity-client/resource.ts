// What every resource family shares: the one call they all make, and the list-GET parameters
// common to Purity collections (spec purity-rest2.md §2.2). Query types are `type` aliases, not
// interfaces, so that they fit `QueryParams` (interfaces have no implicit index signature).

import type { QueryParams } from './query.js';
import type { PurityResponse } from './response.js';
import type { HttpMethod, RequestOptions } from './session.js';

export interface Requester {
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<PurityResponse<T>>;
}

/** DELETE answers carry no items. */
export type NoItems = never;

/** Base of every resource family: holds the requester. */
export abstract class Resource {
  constructor(protected readonly api: Requester) {}

  protected call<T>(method: HttpMethod, path: string, query?: QueryParams, body?: unknown) {
    return this.api.request<T>(method, path, {
      ...(query === undefined ? {} : { query }),
      ...(body === undefined ? {} : { body }),
    });
  }
}

/** Filter, sort and paging parameters of a list GET. */
export type ListQuery = {
  /** Purity filter text, e.g. `name='CT0.*'` or `iqns='iqn...' and is_local`. */
  filter?: string;
  /** `field` ascending, `field-` descending. */
  sort?: readonly string[];
  limit?: number;
  offset?: number;
  continuation_token?: string;
  total_item_count?: boolean;
  total_only?: boolean;
};

/** A list GET that selects by name or id; every given name must exist (else "does not exist"). */
export type NamedListQuery = ListQuery & {
  names?: readonly string[];
  ids?: readonly string[];
  /** Absent lists both live and destroyed objects. */
  destroyed?: boolean;
};

/** Objects addressed by name in a POST, PATCH or DELETE. */
export type NamesQuery = { names: readonly string[] };

/** Group-member endpoints (pods/arrays, protection-groups/volumes, hosts/host-groups ...). */
export type MembersQuery = { group_names: readonly string[]; member_names: readonly string[] };
export type MembersListQuery = ListQuery & {
  group_names?: readonly string[];
  member_names?: readonly string[];
};
