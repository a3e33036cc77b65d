// A typed client for the Purity//FA REST 2.x API of Tandem arrays (and FlashArrays), shaped like
// pypureclient's `flasharray.Client` as the Cinder Pure driver uses it. The Cinder control plane
// talks to arrays only through this.

export { type PageQuery, PurityClient, type PurityClientOptions } from './client.js';
export { PurityClientError, type PurityClientErrorCode } from './errors.js';
export type { ConnectionsGetQuery, ConnectionsQuery } from './hosts-api.js';
export {
  PURITY_CLIENT_VERSION_MAX,
  PURITY_LIST_PAGES_MAX,
  PURITY_REQUEST_TIMEOUT_MS,
  PURITY_RETRIES_MAX,
} from './limits.js';
export type * from './models.js';
export type * from './models-replication.js';
export type { ProtectionGroupSnapshotsPostQuery } from './protection-groups-api.js';
export { encodeQuery, type QueryParams, type QueryValue, quote } from './query.js';
export type { ListQuery, MembersListQuery, MembersQuery, NamedListQuery, NamesQuery } from './resource.js';
export {
  type ErrorResponse,
  errorMessages,
  firstItem,
  hasError,
  PURITY_ERROR_TEXT,
  type PurityApiError,
  type PurityResponse,
  type ValidResponse,
} from './response.js';
export type { HttpMethod, PurityLogger, RequestOptions } from './session.js';
export type { HistoryQuery } from './system-api.js';
export { chooseVersion } from './versions.js';
export type { VolumeSnapshotsGetQuery, VolumesPatchQuery, VolumesPostQuery } from './volumes-api.js';
