// PurityClient: the control plane's handle on one array, used the way the Cinder Pure driver
// uses pypureclient's `flasharray.Client` (driver spec §4). Resource families are properties
// named after the SDK's method stems (`get_protection_groups_targets` ->
// `client.protectionGroupsTargets.get`); read-only views of a collection are methods on it
// (`get_arrays_space` -> `client.arrays.getSpace`). Every call returns a PurityResponse and
// throws only PurityClientError (the array could not be asked or did not answer Purity REST).

import { readFile } from 'node:fs/promises';
import { PurityClientError } from './errors.js';
import { ConnectionsApi, HostGroupsApi, HostsApi, HostsHostGroupsApi } from './hosts-api.js';
import { PURITY_LIST_PAGES_MAX, PURITY_REQUEST_TIMEOUT_MS, PURITY_RETRIES_MAX } from './limits.js';
import { ContainerDefaultProtectionsApi, PodsApi, PodsArraysApi } from './pods-api.js';
import {
  ProtectionGroupSnapshotsApi,
  ProtectionGroupsApi,
  ProtectionGroupsTargetsApi,
  ProtectionGroupsVolumesApi,
} from './protection-groups-api.js';
import type { PurityResponse, ValidResponse } from './response.js';
import { type HttpMethod, type PurityLogger, PuritySession, type RequestOptions } from './session.js';
import {
  ArrayConnectionsApi,
  ArraysApi,
  ControllersApi,
  NetworkInterfacesApi,
  PortsApi,
} from './system-api.js';
import { HttpsTransport, parseTarget } from './transport.js';
import {
  VolumeGroupsApi,
  VolumeSnapshotsApi,
  VolumesApi,
  VolumesProtectionGroupsApi,
  VolumesTagsApi,
} from './volumes-api.js';

export interface PurityClientOptions {
  /** `host`, `host:port` or `[v6]:port`, as Cinder's `san_ip` (HTTPS always; port 443 by default). */
  target: string;
  apiToken: string;
  /** Check the array's certificate (Cinder's `driver_ssl_cert_verify`, default false). */
  verifyTls?: boolean;
  /** PEM file of trust anchors for `verifyTls` (Cinder's `driver_ssl_cert_path`). */
  caPath?: string;
  timeoutMs?: number;
  /** Retries of 429 and 501-599 answers. */
  retries?: number;
  userAgent?: string;
  /** Speak this REST version instead of the highest common one. */
  version?: string;
  logger?: PurityLogger;
}

/** Paging parameters `listAll` passes to each page request. */
export type PageQuery = { limit?: number; continuation_token?: string; offset?: number };

const DEFAULT_USER_AGENT = 'Tandem-Cinder PurityClient/0.1';

export class PurityClient {
  readonly arrays: ArraysApi;
  readonly controllers: ControllersApi;
  readonly ports: PortsApi;
  readonly networkInterfaces: NetworkInterfacesApi;
  readonly arrayConnections: ArrayConnectionsApi;
  readonly volumes: VolumesApi;
  readonly volumeSnapshots: VolumeSnapshotsApi;
  readonly volumesProtectionGroups: VolumesProtectionGroupsApi;
  readonly volumesTags: VolumesTagsApi;
  readonly volumeGroups: VolumeGroupsApi;
  readonly hosts: HostsApi;
  readonly hostGroups: HostGroupsApi;
  readonly hostsHostGroups: HostsHostGroupsApi;
  readonly connections: ConnectionsApi;
  readonly pods: PodsApi;
  readonly podsArrays: PodsArraysApi;
  readonly containerDefaultProtections: ContainerDefaultProtectionsApi;
  readonly protectionGroups: ProtectionGroupsApi;
  readonly protectionGroupsVolumes: ProtectionGroupsVolumesApi;
  readonly protectionGroupsTargets: ProtectionGroupsTargetsApi;
  readonly protectionGroupSnapshots: ProtectionGroupSnapshotsApi;

  private constructor(private readonly session: PuritySession) {
    const api = session;
    this.arrays = new ArraysApi(api);
    this.controllers = new ControllersApi(api);
    this.ports = new PortsApi(api);
    this.networkInterfaces = new NetworkInterfacesApi(api);
    this.arrayConnections = new ArrayConnectionsApi(api);
    this.volumes = new VolumesApi(api);
    this.volumeSnapshots = new VolumeSnapshotsApi(api);
    this.volumesProtectionGroups = new VolumesProtectionGroupsApi(api);
    this.volumesTags = new VolumesTagsApi(api);
    this.volumeGroups = new VolumeGroupsApi(api);
    this.hosts = new HostsApi(api);
    this.hostGroups = new HostGroupsApi(api);
    this.hostsHostGroups = new HostsHostGroupsApi(api);
    this.connections = new ConnectionsApi(api);
    this.pods = new PodsApi(api);
    this.podsArrays = new PodsArraysApi(api);
    this.containerDefaultProtections = new ContainerDefaultProtectionsApi(api);
    this.protectionGroups = new ProtectionGroupsApi(api);
    this.protectionGroupsVolumes = new ProtectionGroupsVolumesApi(api);
    this.protectionGroupsTargets = new ProtectionGroupsTargetsApi(api);
    this.protectionGroupSnapshots = new ProtectionGroupSnapshotsApi(api);
  }

  /** Discovers the REST version and logs in; throws PurityClientError when either fails. */
  static async connect(options: PurityClientOptions): Promise<PurityClient> {
    const endpoint = parseTarget(options.target);
    const address = typeof endpoint === 'string' ? options.target.slice(0, 100) : endpoint.address;
    const invalid = (reason: string) => new PurityClientError('PURITY_INVALID_ARGUMENT', address, reason);
    if (typeof endpoint === 'string') throw invalid(endpoint);
    if (typeof options.apiToken !== 'string' || options.apiToken.trim() === '')
      throw invalid('an API token is required');
    const timeoutMs = options.timeoutMs ?? PURITY_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw invalid('timeoutMs must be positive');
    const retries = options.retries ?? PURITY_RETRIES_MAX;
    if (!Number.isSafeInteger(retries) || retries < 0) throw invalid('retries must be a whole number >= 0');
    const verifyTls = options.verifyTls ?? false;
    let ca: string | undefined;
    if (options.caPath !== undefined) {
      try {
        ca = await readFile(options.caPath, 'utf8');
      } catch (error) {
        throw invalid(`cannot read CA file ${options.caPath} (${(error as NodeJS.ErrnoException).code})`);
      }
    }
    const transport = new HttpsTransport(endpoint, {
      verifyTls,
      timeoutMs,
      ...(ca === undefined ? {} : { ca }),
    });
    const session = await PuritySession.open(transport, {
      apiToken: options.apiToken,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      retries,
      ...(options.version === undefined ? {} : { version: options.version }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    return new PurityClient(session);
  }

  /** The negotiated REST version, e.g. `2.38`. */
  get apiVersion(): string {
    return this.session.version;
  }

  /** `host:port` of the array. */
  get address(): string {
    return this.session.address;
  }

  /** Any endpoint: `path` is relative to `/api/2.N`, e.g. `/volumes/space`. */
  async request<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<PurityResponse<T>> {
    if (!path.startsWith('/'))
      throw new PurityClientError(
        'PURITY_INVALID_ARGUMENT',
        this.address,
        `path '${path.slice(0, 100)}' must start with /`,
      );
    return this.session.request<T>(method, path, options);
  }

  /**
   * Every item of a list, page by page: follows `continuation_token`, or pages by offset when the
   * array says more items remain without giving one (pypureclient's ItemIterator does the same).
   * Returns the first error response as it is.
   */
  async listAll<T>(
    getPage: (page: PageQuery) => Promise<PurityResponse<T>>,
    options: { pageSize?: number } = {},
  ): Promise<PurityResponse<T>> {
    const limit = options.pageSize;
    const items: T[] = [];
    let page: PageQuery = limit === undefined ? {} : { limit };
    let first: ValidResponse<T> | null = null;
    for (let pages = 0; pages < PURITY_LIST_PAGES_MAX; pages++) {
      const res = await getPage(page);
      if (!res.ok) return res;
      first ??= res;
      for (const item of res.items) items.push(item); // a spread of a huge page overflows the stack
      if (!res.moreItemsRemaining)
        return { ...first, items, continuationToken: null, moreItemsRemaining: false };
      if (res.items.length === 0 || res.continuationToken === page.continuation_token)
        throw this.pagingError('the array claims more items but the page did not advance');
      page = res.continuationToken
        ? { ...(limit === undefined ? {} : { limit }), continuation_token: res.continuationToken }
        : { ...(limit === undefined ? {} : { limit }), offset: items.length };
    }
    throw this.pagingError(`more than ${PURITY_LIST_PAGES_MAX} pages`);
  }

  /** Logs out and releases the sockets; later calls throw PURITY_CLIENT_CLOSED. */
  close(): Promise<void> {
    return this.session.close();
  }

  private pagingError(reason: string): PurityClientError {
    return new PurityClientError('PURITY_INVALID_RESPONSE', this.address, `paging: ${reason}`);
  }
}
