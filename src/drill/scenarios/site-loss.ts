// site-loss: both sync sites (site-a and site-b) are lost while a host writes to an
// AsyncReplicated volume; the service fails over to the async DR array (pure-dr, site-c) through
// Cinder. RPO is the age of the newest snapshot site-c held whole at the loss, and the numbered
// blocks count the acknowledged writes after it that are gone; RTO is the loss until the volume
// reads on site-c. The lab is then brought back (restart, failback) so it stays usable.

import { CINDER_PGROUP, DR_BACKEND_ID } from '../constants.js';
import { seconds } from '../measurements.js';
import { atMost, equals } from '../report.js';
import { verifyOnArray } from '../verifier.js';
import type { WriterRecord } from '../writer.js';
import { type DrillVolume, purityVolumeName } from './common.js';
import type { DrillContext, Scenario } from './context.js';
import {
  DR,
  drLagSampler,
  failoverToDr,
  loseBothSites,
  newestOnDr,
  PRIMARY,
  prepareAsyncVolume,
  readOnDr,
  recoverLab,
  requireServiceOnPrimary,
  writeWithSnapshots,
} from './dr-site.js';

/** The write-rate chart runs a little past the loss, to show the writes stopping. */
const AFTER_LOSS_CHART_MS = 2_000;

/** Says that the drill's snapshots stand in for the group's own schedule, and what that is. */
async function scheduleNote(ctx: DrillContext): Promise<string> {
  const everyMs = await ctx.lab
    .array(PRIMARY)
    .replicationEveryMs(CINDER_PGROUP)
    .catch(() => null);
  const schedule =
    everyMs === null
      ? 'its replication schedule'
      : `its replication schedule (every ${everyMs / 1000} s on ${PRIMARY})`;
  return `Protection group snapshots of ${CINDER_PGROUP} were taken on ${PRIMARY} every ${ctx.options.snapshotIntervalS} s with replicate_now=true during the write phase, standing in for ${schedule}, which the Cinder Pure driver sets from pure_replica_interval_default (hourly by default): the RPO measured here reflects the drill's interval, not the schedule's.`;
}

/** The loss, then what an operator does: find the newest snapshot, fail over, read on site-c. */
async function loseAndFailOver(ctx: DrillContext, volume: DrillVolume) {
  const { rec } = ctx;
  const lossMs = await loseBothSites(ctx);
  const newest = await rec.step(
    `find the newest snapshot ${DR} holds whole`,
    () => newestOnDr(ctx),
    (s) => s?.name ?? 'none',
  );
  const rpo = newest ? seconds(lossMs - newest.created) : null;
  rec.measure('rpoS', rpo);
  rec.measure('newestSnapshot', newest?.name ?? null);
  if (newest) rec.event(`newest snapshot on ${DR} (${newest.name}) created`, 'info', newest.created);
  rec.measure('failoverS', await failoverToDr(ctx));
  const rto = seconds((await readOnDr(ctx, volume)) - lossMs);
  rec.measure('rtoS', rto);
  return { lossMs, newest, rpo, rto };
}

/** Counts, by their numbered blocks, the acknowledged writes site-c has and lacks. */
async function countOnDr(
  ctx: DrillContext,
  volume: DrillVolume,
  record: WriterRecord,
  newestMs: number | null,
) {
  const { rec, lab } = ctx;
  const copy = purityVolumeName(volume.id, false);
  const onDr = await rec.step(
    `read back every acknowledged write from ${DR}`,
    () => verifyOnArray(DR, lab.arrayEntry(DR).nbd, copy, record, newestMs),
    (r) => `${r.present} of ${r.acknowledged} present, ${r.lost} lost (written after the snapshot)`,
  );
  rec.measure('writesAfterSnapshotLost', onDr.lost);
  rec.measure('missingBeforeSnapshot', onDr.lostBeforeCutoff);
  const check = equals(
    'writes acknowledged before that snapshot but missing on site-c',
    onDr.lostBeforeCutoff,
    0,
    'writes',
  );
  rec.check(check);
}

/** Loss, failover and the read on site-c, with their measurements; `checked` adds the RPO/RTO checks. */
export async function loseAndRecoverOnDr(ctx: DrillContext, checked: boolean): Promise<{ volumeId: string }> {
  const { rec, options, clock } = ctx;
  await rec.step('check that the Cinder service runs on the primary', () => requireServiceOnPrimary(ctx));
  const volume = await prepareAsyncVolume(ctx);
  // Asked now: site-a, which holds the group, is about to be lost.
  const schedule = await scheduleNote(ctx);
  const lag = drLagSampler(ctx);
  lag.start();
  try {
    const { writer, writeStartMs, taken, snapshots } = await writeWithSnapshots(ctx, volume);
    const { lossMs, newest, rpo, rto } = await loseAndFailOver(ctx, volume);
    // Only now: the host's retries against the lost site must not delay the recovery measured.
    const record = await writer.stop();
    await snapshots;
    rec.writeRateFrom(record.acked, writeStartMs, Math.min(clock(), lossMs + AFTER_LOSS_CHART_MS));
    rec.measure('snapshotsTaken', taken.length);
    rec.measure('acknowledgedWrites', record.acked.length);
    const volumeNow = await ctx.cinder.volume(volume.id);
    rec.measure('volumeReplicationStatus', volumeNow?.replication_status ?? null);
    if (checked) {
      rec.check(
        atMost(`RPO (age at the loss of the newest snapshot on ${DR})`, rpo, options.rpoObjectiveS ?? 0, 's'),
      );
      rec.check(atMost(`RTO (loss until the volume reads on ${DR})`, rto, options.rtoObjectiveS, 's'));
    }
    await countOnDr(ctx, volume, record, newest?.created ?? null);
    return { volumeId: volume.id };
  } finally {
    rec.replicationLag.push(await lag.stop());
    rec.note(schedule);
  }
}

async function run(ctx: DrillContext): Promise<void> {
  try {
    await loseAndRecoverOnDr(ctx, true);
  } finally {
    await recoverLab(ctx);
    ctx.rec.note(
      `To leave the lab usable the drill restarts ${PRIMARY} and site-b and fails the service back (failover_host default); the AsyncReplicated drill volume goes to error on that failback, as the Cinder Pure driver documents, and is deleted. tandem drill failback measures that way back.`,
    );
  }
}

export const siteLoss: Scenario = {
  name: 'site-loss',
  title: 'Loss of both sync sites (site-a and site-b): failover to the async DR array (site-c)',
  summary: `kill site-a and site-b under writes; failover_host to ${DR_BACKEND_ID}; read the volume on site-c`,
  defaults: { rpoS: 30, rtoS: 60 },
  objectives:
    'RPO: age at the loss of the newest snapshot site-c holds whole (writes after it are lost and counted). RTO: loss until the volume reads on site-c.',
  needs: ['site-a', 'site-b', 'site-c', 'mediator', 'cinder'],
  run,
};
