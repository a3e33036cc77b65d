// array-loss: the primary array of a stretched pod dies under a writing host. The host writes
// numbered blocks to site-a; site-a is SIGKILLed mid-run; the host fails over to site-b as a
// multipath host would. RTO is the kill to the first write site-b acknowledges; every write that
// was acknowledged must read back from site-b. Then site-a is restarted and the pod resyncs.

import { CINDER_POD, RESUME_TIMEOUT_MS, RESYNC_TIMEOUT_MS } from '../constants.js';
import { messageOf } from '../errors.js';
import { firstAck, longestAckGapMs, rtoSeconds, seconds, syncRpoSeconds } from '../measurements.js';
import { atMost, equals } from '../report.js';
import { resyncBytesFromLogs } from '../resync-log.js';
import { verifyOnArray } from '../verifier.js';
import type { WriterRecord } from '../writer.js';
import {
  connectDrillHost,
  createDrillVolume,
  type DrillVolume,
  drillWriter,
  nbdPath,
  podOnlineEverywhere,
  requirePodOnline,
  sleep,
  startIfDown,
  syncLagSampler,
  waitBackendUp,
  waitForAcks,
  waitUntil,
} from './common.js';
import type { DrillContext, Scenario } from './context.js';

const PRIMARY = 'site-a';
const PEER = 'site-b';

async function prepare(ctx: DrillContext): Promise<DrillVolume> {
  const { rec } = ctx;
  await rec.step(`check that ${CINDER_POD} is online on ${PRIMARY} and ${PEER}`, () =>
    requirePodOnline(ctx, [PRIMARY, PEER]),
  );
  const volume = await rec.step(
    'create a SyncReplicated volume through Cinder',
    () => createDrillVolume(ctx, 'SyncReplicated', true),
    (v) => v.exportName,
  );
  await rec.step(`connect it to the drill host on ${PRIMARY} and ${PEER}`, () =>
    connectDrillHost(ctx, [PRIMARY, PEER], volume.exportName),
  );
  return volume;
}

/** Writes, kills the primary at the midpoint, waits for writes on the peer; returns the kill time. */
async function writeThroughLoss(ctx: DrillContext, volume: DrillVolume) {
  const { rec, lab, options, clock } = ctx;
  const halfMs = (options.writeSeconds * 1000) / 2;
  const writer = drillWriter(ctx, 'host', volume, [nbdPath(lab, PRIMARY), nbdPath(lab, PEER)], {
    first: 0,
    count: volume.slotCount,
  });
  const writeStartMs = clock();
  writer.start();
  await rec.step(
    `write numbered blocks through ${PRIMARY}`,
    async () => {
      await waitForAcks(writer, 1, RESUME_TIMEOUT_MS);
      await sleep(Math.max(0, writeStartMs + halfMs - clock()));
    },
    () => `${writer.acked.length} writes acknowledged`,
  );
  ctx.onCleanup(`start ${PRIMARY} again if the drill stopped before it did`, () =>
    startIfDown(lab, [PRIMARY]),
  );
  const killMs = clock();
  rec.event(`${PRIMARY} killed (SIGKILL through the lab control API)`, 'fault', killMs);
  await rec.step(`kill ${PRIMARY}`, () => lab.arrayAction(PRIMARY, 'kill'));
  const resumed = await rec
    .step(
      `wait for the host's writes to be acknowledged by ${PEER}`,
      async () => {
        await waitUntil(`no write acknowledged by ${PEER}`, RESUME_TIMEOUT_MS, () =>
          writer.acked.some((a) => a.array === PEER),
        );
        return firstAck(writer.acked, { array: PEER })!;
      },
      (ack) => `first after ${seconds(ack.ackedMs - killMs)} s`,
    )
    .catch(() => null);
  if (resumed) rec.event(`first write acknowledged by ${PEER}`, 'recovery', resumed.ackedMs);
  await rec.step(`keep writing through ${PEER}`, () => sleep(halfMs));
  const record = await writer.stop();
  return { record, killMs, writeStartMs, stopMs: clock(), resumed };
}

async function verify(ctx: DrillContext, volume: DrillVolume, array: string, record: WriterRecord) {
  const entry = ctx.lab.arrayEntry(array);
  return ctx.rec.step(
    `read back every acknowledged write from ${array}`,
    () => verifyOnArray(array, entry.nbd, volume.exportName, record),
    (r) => `${r.present} of ${r.acknowledged} present, ${r.lost} lost`,
  );
}

async function restartAndResync(ctx: DrillContext) {
  const { rec, lab, clock } = ctx;
  const restartMs = clock();
  await rec.step(`restart ${PRIMARY} through the lab control API`, () => lab.arrayAction(PRIMARY, 'start'));
  const upMs = clock();
  rec.event(`${PRIMARY} restarted`, 'step', upMs);
  await rec.step(`wait for ${CINDER_POD} to be online on both arrays (resync)`, () =>
    waitUntil(`${CINDER_POD} online on both`, RESYNC_TIMEOUT_MS, () =>
      podOnlineEverywhere(lab, [PRIMARY, PEER]),
    ),
  );
  const onlineMs = clock();
  rec.event(`${CINDER_POD} online on ${PRIMARY} and ${PEER} again`, 'recovery', onlineMs);
  const logs = [PRIMARY, PEER].map((a) => lab.arrayEntry(a).logFile);
  const resyncBytes = await resyncBytesFromLogs(logs, CINDER_POD, upMs);
  return { restartS: seconds(upMs - restartMs), resyncS: seconds(onlineMs - upMs), resyncBytes };
}

async function run(ctx: DrillContext): Promise<void> {
  const { rec, options } = ctx;
  const volume = await prepare(ctx);
  const lag = syncLagSampler(ctx, [PRIMARY, PEER]);
  lag.start();
  try {
    const { record, killMs, writeStartMs, stopMs, resumed } = await writeThroughLoss(ctx, volume);
    rec.writeRateFrom(record.acked, writeStartMs, stopMs);
    const rto = rtoSeconds(killMs, resumed);
    rec.measure('rtoS', rto);
    rec.measure('acknowledgedWrites', record.acked.length);
    rec.measure('unacknowledgedWritesAtStop', record.unacknowledged.length);
    rec.measure('writeStallS', seconds(longestAckGapMs(record.acked, killMs - 1, stopMs)));
    const onPeer = await verify(ctx, volume, PEER, record);
    const rpo = syncRpoSeconds(killMs, onPeer.oldestLostAckedMs);
    rec.measure('lostWrites', onPeer.lost);
    rec.measure('rpoS', rpo);
    rec.measure('corruptBlocks', onPeer.corruptSlots);
    rec.check(atMost('RTO (kill to first write acknowledged by site-b)', rto, options.rtoObjectiveS, 's'));
    rec.check(
      atMost('RPO (how far back acknowledged writes were lost)', rpo, options.rpoObjectiveS ?? 0, 's'),
    );
    rec.check(equals('acknowledged writes lost on site-b', onPeer.lost, 0, 'writes'));
    const resync = await restartAndResync(ctx);
    rec.measure('siteARestartS', resync.restartS);
    rec.measure('resyncS', resync.resyncS);
    rec.measure('resyncBytes', resync.resyncBytes);
    const onPrimary = await verify(ctx, volume, PRIMARY, record);
    rec.measure('lostWritesOnSiteAAfterResync', onPrimary.lost);
    rec.check(equals('acknowledged writes missing on site-a after the resync', onPrimary.lost, 0, 'writes'));
    // The driver's stats failed while site-a was down: new volumes wait for the next report.
    await waitBackendUp(ctx).catch((e: unknown) =>
      rec.note(`Cinder's backend is not back yet: ${messageOf(e)}`),
    );
  } finally {
    rec.replicationLag.push(await lag.stop());
  }
  rec.note(
    'The host is a multipath host with a failover policy: it writes to site-a only, and on an I/O error retries the write on site-b (the NBD connection to a SIGKILLed array ends at once).',
  );
  rec.note(
    'Resync bytes come from the arrays\' logs ("pod resync finished"): GET /pods and /metrics show only the pod status and progress, not the bytes.',
  );
}

export const arrayLoss: Scenario = {
  name: 'array-loss',
  title: 'Loss of the primary array of a stretched pod (site-a)',
  summary: 'kill site-a under a writing host; the host fails over to site-b; site-a restarts and resyncs',
  defaults: { rpoS: 0, rtoS: 10 },
  objectives: 'RTO: kill to the first write acknowledged by site-b. RPO: 0 = no acknowledged write lost.',
  needs: ['site-a', 'site-b', 'mediator', 'cinder'],
  run,
};
