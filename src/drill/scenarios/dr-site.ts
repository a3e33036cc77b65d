// The steps of losing both sync sites and recovering on the async DR site, shared by site-loss
// and failback: an AsyncReplicated volume written through site-a while protection group snapshots
// are taken and replicated every few seconds; site-a and site-b killed together; failover_host to
// pure-dr through Cinder; the volume read on site-c; and the way back (restart, failover_host
// default), which leaves the lab usable again.

import { setTimeout as delay } from 'node:timers/promises';
import type { PgSnapshotView } from '../array-api.js';
import {
  CINDER_PGROUP,
  CINDER_POD,
  DR_BACKEND_ID,
  DRILL_BLOCK_BYTES,
  FAILOVER_TIMEOUT_MS,
  RESUME_TIMEOUT_MS,
  RESYNC_TIMEOUT_MS,
  SAMPLE_INTERVAL_MS,
} from '../constants.js';
import { DrillUnrunnable, messageOf } from '../errors.js';
import { seconds } from '../measurements.js';
import { NbdClient } from '../nbd-client.js';
import { pgroupLagSample, Sampler } from '../sampler.js';
import {
  connectDrillHost,
  createDrillVolume,
  type DrillVolume,
  drillWriter,
  nbdPath,
  podOnlineEverywhere,
  purityVolumeName,
  sleep,
  startIfDown,
  waitBackendUp,
  waitForAcks,
  waitUntil,
} from './common.js';
import type { DrillContext } from './context.js';

export const PRIMARY = 'site-a';
export const PEER = 'site-b';
export const DR = 'site-c';
/** A first transfer of a 1 GiB volume's changes takes about a second on loopback. */
const FIRST_SNAPSHOT_TIMEOUT_MS = 60_000;
/** The replica of the driver's protection group on the DR array. */
export const REPLICA = `${PRIMARY}:${CINDER_PGROUP}`;

export interface TakenSnapshot extends PgSnapshotView {
  /** When the drill asked for it (ms). */
  requestedMs: number;
}

/** The chart of the RPO over time: the age of the newest snapshot site-c holds. */
export function drLagSampler(ctx: DrillContext): Sampler {
  const sample = pgroupLagSample(ctx.lab, DR, REPLICA);
  const name = `age of the newest snapshot on ${DR} (the RPO if lost then)`;
  return new Sampler(name, 's', sample, ctx.clock, ctx.rec.startMs, SAMPLE_INTERVAL_MS);
}

/** Refuses to start (exit 2) when the service is failed over already. */
export async function requireServiceOnPrimary(ctx: DrillContext): Promise<void> {
  const host = ctx.lab.descriptor.cinder.host;
  const service = await ctx.cinder.volumeService(host);
  if (service.replication_status === 'failover-error')
    throw new DrillUnrunnable(
      `the Cinder service ${host} is in failover-error (a failover failed), which Cinder's API cannot undo: start the lab afresh (tandem lab down, tandem lab reset, npm start)`,
    );
  if (service.replication_status !== 'enabled' || service.active_backend_id)
    throw new DrillUnrunnable(
      `the Cinder service ${host} is ${service.replication_status} (active backend ${service.active_backend_id ?? 'default'}): run tandem drill failback first`,
    );
}

export async function prepareAsyncVolume(ctx: DrillContext): Promise<DrillVolume> {
  const { rec } = ctx;
  const volume = await rec.step(
    'create an AsyncReplicated volume through Cinder',
    () => createDrillVolume(ctx, 'AsyncReplicated', false),
    (v) => v.exportName,
  );
  await rec.step(`connect it to the drill host on ${PRIMARY}`, () =>
    connectDrillHost(ctx, [PRIMARY], volume.exportName),
  );
  return volume;
}

/** Writes through site-a for --write-seconds, with a replicated snapshot every --snapshot-interval. */
export async function writeWithSnapshots(ctx: DrillContext, volume: DrillVolume) {
  const { rec, lab, clock, options } = ctx;
  const taken: TakenSnapshot[] = [];
  ctx.onCleanup(
    `eradicate the drill's ${CINDER_PGROUP} snapshots on ${PRIMARY}, ${PEER} and ${DR}`,
    async () => {
      await lab.array(PRIMARY).eradicatePgSnapshots(taken.map((s) => s.name));
      for (const target of [PEER, DR])
        await lab.array(target).eradicatePgSnapshots(taken.map((s) => `${PRIMARY}:${s.name}`));
    },
  );
  const writer = drillWriter(ctx, 'host', volume, [nbdPath(lab, PRIMARY)], {
    first: 0,
    count: volume.slotCount,
  });
  const writeStartMs = clock();
  writer.start();
  const stop = new AbortController();
  ctx.onCleanup('stop taking snapshots', async () => stop.abort());
  const snapshots = (async () => {
    for (;;) {
      await delay(options.snapshotIntervalS * 1000, undefined, { signal: stop.signal }).catch(() => {});
      if (stop.signal.aborted) return;
      const requestedMs = clock();
      const snapshot = await lab
        .array(PRIMARY)
        .snapshotAndReplicate(CINDER_PGROUP)
        .catch(() => null);
      if (snapshot) taken.push({ ...snapshot, requestedMs });
    }
  })();
  await rec.step(
    `write through ${PRIMARY}, a replicated ${CINDER_PGROUP} snapshot every ${options.snapshotIntervalS} s`,
    async () => {
      await waitForAcks(writer, 1, RESUME_TIMEOUT_MS);
      await sleep(Math.max(0, writeStartMs + options.writeSeconds * 1000 - clock()));
    },
    () => `${writer.acked.length} writes acknowledged, ${taken.length} snapshots taken`,
  );
  await rec.step(`make sure ${DR} holds a snapshot with the drill's volume`, () =>
    waitDrillSnapshotOnDr(ctx, taken),
  );
  stop.abort();
  return { writer, writeStartMs, taken, snapshots };
}

/**
 * Without a snapshot on site-c that holds the drill's volume, the failover has nothing to copy;
 * with none of the group at all it ends in failover-error, which Cinder cannot leave without an
 * operator. So the loss waits (writing on) until one of the drill's snapshots is there whole.
 */
async function waitDrillSnapshotOnDr(ctx: DrillContext, taken: readonly TakenSnapshot[]): Promise<void> {
  const dr = ctx.lab.array(DR);
  try {
    await waitUntil('snapshot on the DR array', FIRST_SNAPSHOT_TIMEOUT_MS, async () => {
      const there = new Set((await dr.pgSnapshots(REPLICA)).map((s) => s.name));
      return taken.some((s) => there.has(`${PRIMARY}:${s.name}`));
    });
  } catch {
    throw new DrillUnrunnable(
      `no snapshot of ${CINDER_PGROUP} taken by the drill reached ${DR} within ${FIRST_SNAPSHOT_TIMEOUT_MS / 1000} s, so a failover would have nothing to copy: check the ${PRIMARY} -> ${DR} link with tandem lab status`,
    );
  }
}

/** SIGKILLs site-a and site-b together; returns when both are gone. */
export async function loseBothSites(ctx: DrillContext): Promise<number> {
  const lossMs = ctx.clock();
  ctx.rec.event(`${PRIMARY} and ${PEER} killed together (site loss)`, 'fault', lossMs);
  await ctx.rec.step(`kill ${PRIMARY} and ${PEER}`, () =>
    Promise.all([PRIMARY, PEER].map((name) => ctx.lab.arrayAction(name, 'kill'))),
  );
  return lossMs;
}

/** The newest snapshot site-c holds whole (a target lists only whole snapshots) at the loss. */
export async function newestOnDr(ctx: DrillContext): Promise<PgSnapshotView | null> {
  const snapshots = await ctx.lab.array(DR).pgSnapshots(REPLICA);
  return snapshots.reduce<PgSnapshotView | null>(
    (n, s) => (n === null || s.created > n.created ? s : n),
    null,
  );
}

/** failover_host to pure-dr, until the service says failed-over; returns the seconds it took. */
export async function failoverToDr(ctx: DrillContext): Promise<number> {
  const { rec, cinder, lab, clock } = ctx;
  const host = lab.descriptor.cinder.host;
  const startMs = clock();
  await rec.step(`failover_host ${host} to ${DR_BACKEND_ID} through Cinder`, async () => {
    await cinder.failoverHost(host, DR_BACKEND_ID);
    await cinder.waitService(
      host,
      (s) => s.replication_status === 'failed-over' && s.active_backend_id === DR_BACKEND_ID,
      FAILOVER_TIMEOUT_MS,
    );
  });
  rec.event(`service failed over to ${DR_BACKEND_ID}`, 'recovery');
  return seconds(clock() - startMs);
}

/** Connects the failed-over volume on site-c and reads its first block; returns when that worked. */
export async function readOnDr(ctx: DrillContext, volume: DrillVolume): Promise<number> {
  const { rec, lab, clock } = ctx;
  const copy = purityVolumeName(volume.id, false);
  ctx.onCleanup(`eradicate the failover copy ${copy} on ${DR}`, () => lab.array(DR).eradicateVolume(copy));
  await rec.step(`connect the volume on ${DR}`, () => connectDrillHost(ctx, [DR], copy));
  await rec.step(`read the volume on ${DR}`, async () => {
    const client = await NbdClient.open(lab.arrayEntry(DR).nbd, copy);
    try {
      await client.read(0, DRILL_BLOCK_BYTES);
    } finally {
      client.close();
    }
  });
  const readableMs = clock();
  rec.event(`volume reads on ${DR}`, 'recovery', readableMs);
  return readableMs;
}

/** Starts whichever of site-a and site-b is not running; returns the seconds it took. */
export async function startSites(ctx: DrillContext): Promise<number> {
  const { rec, lab, clock } = ctx;
  const startMs = clock();
  await rec.step(`restart ${PRIMARY} and ${PEER} through the lab control API`, () =>
    startIfDown(lab, [PRIMARY, PEER]),
  );
  rec.event(`${PRIMARY} and ${PEER} running again`, 'step');
  return seconds(clock() - startMs);
}

/**
 * Waits for the pod to be online on both arrays again. After both arrays restarted, each asks the
 * other for a compare of every block of every pod volume, so this takes as long as the pod is big.
 */
export async function waitPodBack(ctx: DrillContext): Promise<number> {
  const { rec, lab, clock } = ctx;
  const startMs = clock();
  await rec.step(`wait for ${CINDER_POD} to be online on ${PRIMARY} and ${PEER}`, () =>
    waitUntil(`${CINDER_POD} online on both`, RESYNC_TIMEOUT_MS, () =>
      podOnlineEverywhere(lab, [PRIMARY, PEER]),
    ),
  );
  rec.event(`${CINDER_POD} online on ${PRIMARY} and ${PEER} again`, 'recovery');
  return seconds(clock() - startMs);
}

/** failover_host default, until the service is enabled and replicating again; seconds it took. */
export async function failBack(ctx: DrillContext): Promise<number> {
  const { rec, cinder, lab, clock } = ctx;
  const host = lab.descriptor.cinder.host;
  const startMs = clock();
  await rec.step(`failover_host ${host} back to default through Cinder`, async () => {
    await cinder.failoverHost(host, 'default');
    await cinder.waitService(
      host,
      (s) => s.status === 'enabled' && s.replication_status === 'enabled',
      FAILOVER_TIMEOUT_MS,
    );
  });
  const enabledMs = clock();
  rec.event('service enabled again on the primary (failback)', 'recovery', enabledMs);
  return seconds(enabledMs - startMs);
}

/** Restart, failback and resync after a site loss, best effort: the lab should stay usable. */
export async function recoverLab(ctx: DrillContext): Promise<void> {
  const attempt = async (what: string, run: () => Promise<number | null>) => {
    try {
      ctx.rec.measure(what, await run());
    } catch (error) {
      ctx.rec.note(
        `The lab could not be brought back fully: ${messageOf(error)}. Check with tandem lab status.`,
      );
    }
  };
  await attempt('arraysRestartS', () => startSites(ctx));
  await attempt('failbackS', async () => {
    const service = await ctx.cinder.volumeService(ctx.lab.descriptor.cinder.host);
    return service.replication_status === 'failed-over' ? failBack(ctx) : null;
  });
  await attempt('podOnlineAfterRestartS', () => waitPodBack(ctx));
  await waitBackendUp(ctx).catch((error: unknown) =>
    ctx.rec.note(`Cinder's backend is not back yet: ${messageOf(error)}`),
  );
}
