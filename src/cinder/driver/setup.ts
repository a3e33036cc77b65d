// do_setup (spec §5): log in to the primary and every replication_device, check Purity's
// version, set up the replication pod and protection groups, and resume a failed-over state when
// the manager passes an active backend id. While failed over the old primary is left untouched:
// it may be gone, and nothing should start replicating its stale data again.

import { PurityClient, PurityClientError, type PurityLogger } from '../purity-client/index.js';
import {
  DRIVER_VERSIONS,
  PURITY_NVME_TCP_VERSION_MIN,
  PURITY_SAFEMODE_VERSION,
  PURITY_VERSION_MIN,
} from './constants.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure, PureDriverException } from './errors.js';
import { setUpReplicatedPgroup, stretchPod } from './replication-setup.js';
import { namesPrimary, replicationStateFor } from './replication-state.js';

/** `X.Y.Z` compared numerically; a missing part counts as 0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const a = parts(version);
  const b = parts(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

interface ArrayAccess {
  target: string;
  apiToken: string;
  verifyTls: boolean;
  caPath: string | null;
  backendId: string;
  replicationType: 'sync' | 'async' | null;
  uniform: boolean;
}

function purityLogger(ctx: DriverContext): PurityLogger {
  return {
    debug: (fields, message) => ctx.logger.debug?.(fields, message),
    warn: (fields, message) => ctx.logger.warn(fields, message),
  };
}

/** `_get_flasharray`: log in, then read the array's name, id and version. */
export async function connectArray(ctx: DriverContext, access: ArrayAccess): Promise<FlashArray> {
  const client = await PurityClient.connect({
    target: access.target,
    apiToken: access.apiToken,
    verifyTls: access.verifyTls,
    ...(access.caPath === null ? {} : { caPath: access.caPath }),
    userAgent: `OpenStack Cinder ${ctx.backend.volumeDriver}/${DRIVER_VERSIONS[ctx.backend.protocol]} (Tandem)`,
    logger: purityLogger(ctx),
  });
  const res = await client.arrays.get();
  const info = res.ok ? res.items[0] : undefined;
  if (info === undefined) {
    await client.close();
    throw arrayFailure('Reading the array', access.target, res);
  }
  return {
    client,
    name: info.name,
    id: info.id,
    version: info.version,
    backendId: access.backendId,
    replicationType: access.replicationType,
    uniform: access.uniform,
    safemode: versionAtLeast(info.version, PURITY_SAFEMODE_VERSION),
  };
}

async function connectPrimary(ctx: DriverContext): Promise<FlashArray> {
  const b = ctx.backend;
  if (b.pure.apiToken === null) throw new PureDriverException('pure_api_token is not set');
  const primary = await connectArray(ctx, {
    target: b.sanIp,
    apiToken: b.pure.apiToken,
    verifyTls: b.driverSslCertVerify,
    caPath: b.driverSslCertPath,
    backendId: b.volumeBackendName,
    replicationType: null,
    uniform: true,
  });
  if (!versionAtLeast(primary.version, PURITY_VERSION_MIN))
    throw new PureDriverException(
      'FlashArray Purity version less than 6.1.0 unsupported. Please upgrade your backend to a supported version.',
    );
  if (
    b.protocol === 'nvme' &&
    b.pure.nvmeTransport === 'tcp' &&
    !versionAtLeast(primary.version, PURITY_NVME_TCP_VERSION_MIN)
  )
    throw new PureDriverException(
      'FlashArray Purity version less than 6.4.2 unsupported for NVMe-TCP. Please upgrade your backend to a supported version.',
    );
  // SafeMode keeps destroyed objects recoverable: the driver must not eradicate on such arrays.
  if (primary.safemode && b.pure.safemodeEnabled) ctx.eradicateOnDelete = false;
  ctx.logger.info({ backendId: primary.backendId, array: primary.name, id: primary.id }, 'Primary array');
  return primary;
}

/** `parse_replication_configs`: an array that cannot be reached is skipped with a warning. */
async function connectDevices(ctx: DriverContext): Promise<FlashArray[]> {
  const devices: FlashArray[] = [];
  for (const device of ctx.backend.replicationDevices) {
    try {
      const array = await connectArray(ctx, {
        target: device.sanIp,
        apiToken: device.apiToken,
        verifyTls: device.sslCertVerify,
        caPath: device.sslCertPath,
        backendId: device.backendId,
        replicationType: device.type,
        uniform: device.uniform,
      });
      devices.push(array);
      ctx.logger.info(
        { backendId: device.backendId, array: array.name, type: device.type, uniform: device.uniform },
        'Added secondary array',
      );
    } catch (error) {
      if (!(error instanceof PurityClientError) && !(error instanceof PureDriverException)) throw error;
      ctx.logger.warn({ sanIp: device.sanIp, err: error.message }, 'Failed to set up secondary array');
    }
  }
  return devices;
}

/** `do_setup_trisync`: exactly one sync and one async device on different arrays, else off. */
function trisyncOf(ctx: DriverContext): DriverContext['trisync'] {
  if (!ctx.pure.trisyncEnabled) return null;
  const configured = ctx.backend.replicationDevices;
  const [first, second] = configured;
  if (first === undefined || second === undefined || configured.length !== 2) {
    ctx.logger.error(
      {},
      'Unable to configure TriSync Replication. Incorrect number of replication devices enabled. Only 2 are supported.',
    );
    return null;
  }
  if (first.type === second.type || first.apiToken === second.apiToken) {
    ctx.logger.error(
      {},
      'Replication devices provided must be one each of sync and async and targets must be different to enable TriSync Replication.',
    );
    return null;
  }
  const target = ctx.devices.find((d) => d.replicationType === 'async');
  if (target === undefined) {
    ctx.logger.error({}, 'TriSync Replication disabled: its async target cannot be reached');
    return null;
  }
  return { pgroup: `${ctx.podName}::${ctx.pure.trisyncPgName}`, target };
}

function retention(ctx: DriverContext) {
  return {
    all_for_sec: ctx.pure.replicaRetentionShortTermSeconds,
    per_day: ctx.pure.replicaRetentionLongTermPerDay,
    days: ctx.pure.replicaRetentionLongTermDays,
  };
}

/** `do_setup_replication` and the trisync leg, on the primary. */
async function setUpReplication(ctx: DriverContext, primary: FlashArray): Promise<void> {
  const sync = ctx.devices.filter((d) => d.replicationType === 'sync');
  if (sync.length > 0) await stretchPod(ctx, primary, ctx.podName, sync);
  const replication = { frequencyMs: ctx.pure.replicaIntervalSeconds * 1000, retention: retention(ctx) };
  // Sync targets get the async group too: Cinder sets every target up for async.
  await setUpReplicatedPgroup(ctx, primary, ctx.devices, ctx.pure.replicationPgName, replication);
  if (ctx.trisync)
    await setUpReplicatedPgroup(ctx, primary, [ctx.trisync.target], ctx.trisync.pgroup, replication);
}

export async function setUpDriver(ctx: DriverContext, activeBackendId: string | null): Promise<void> {
  const failedOver = !namesPrimary(activeBackendId, ctx.backend.volumeBackendName);
  try {
    ctx.primary = await connectPrimary(ctx);
  } catch (error) {
    if (!failedOver || !(error instanceof PurityClientError)) throw error;
    ctx.logger.warn({ err: error.message }, 'the failed-over primary array cannot be reached');
  }
  ctx.devices = await connectDevices(ctx);
  ctx.trisync = trisyncOf(ctx);
  if (ctx.primary !== null && !failedOver && ctx.backend.replicationDevices.length > 0)
    await setUpReplication(ctx, ctx.primary);
  ctx.state = replicationStateFor(stateInputs(ctx), activeBackendId);
}

export function stateInputs(ctx: DriverContext) {
  return {
    primary: ctx.primary,
    primaryBackendId: ctx.backend.volumeBackendName,
    devices: ctx.devices,
    devicesConfigured: ctx.backend.replicationDevices.length,
  };
}
