// link-cut: the replication link between the two arrays of a stretched pod is silently cut while
// a host writes on each array. The mediator lets exactly one array go on alone; the other must
// refuse I/O, and its host fails over to the survivor. RTO is the cut to the first write sent
// after it that an array acknowledged; no acknowledged write may be lost, and only one array may
// acknowledge writes during the split. Then the link is restored and the pod resyncs.

import { CINDER_POD, RESUME_TIMEOUT_MS, RESYNC_TIMEOUT_MS } from '../constants.js';
import { firstAck, longestAckGapMs, rtoSeconds, seconds, syncRpoSeconds } from '../measurements.js';
import { atMost, equals } from '../report.js';
import { resyncBytesFromLogs } from '../resync-log.js';
import { verifyOnArray } from '../verifier.js';
import type { AckedWrite, BlockWriter, WriterRecord } from '../writer.js';
import {
  connectDrillHost,
  createDrillVolume,
  type DrillVolume,
  drillWriter,
  nbdPath,
  podOnlineEverywhere,
  requirePodOnline,
  sleep,
  syncLagSampler,
  waitForAcks,
  waitUntil,
} from './common.js';
import type { DrillContext, Scenario } from './context.js';

const A = 'site-a';
const B = 'site-b';

async function prepare(ctx: DrillContext): Promise<DrillVolume> {
  const { rec } = ctx;
  await rec.step(`check that ${CINDER_POD} is online on ${A} and ${B}`, () => requirePodOnline(ctx, [A, B]));
  const volume = await rec.step(
    'create a SyncReplicated volume through Cinder',
    () => createDrillVolume(ctx, 'SyncReplicated', true),
    (v) => v.exportName,
  );
  await rec.step(`connect it to the drill host on ${A} and ${B}`, () =>
    connectDrillHost(ctx, [A, B], volume.exportName),
  );
  return volume;
}

/** One writer per array, on disjoint halves of the volume, each failing over to the other array. */
function writers(ctx: DrillContext, volume: DrillVolume): BlockWriter[] {
  const half = volume.slotCount / 2;
  const a = nbdPath(ctx.lab, A);
  const b = nbdPath(ctx.lab, B);
  return [
    drillWriter(ctx, `host on ${A}`, volume, [a, b], { first: 0, count: half }, 0),
    drillWriter(ctx, `host on ${B}`, volume, [b, a], { first: half, count: half }, 1),
  ];
}

async function podViews(ctx: DrillContext): Promise<string> {
  const views = await Promise.all(
    [A, B].map(async (name) => {
      const members = await ctx.lab
        .array(name)
        .podArrays(CINDER_POD)
        .catch(() => null);
      const seen = members ? members.map((m) => `${m.name} ${m.status}`).join(', ') : 'no answer';
      return `${name} sees ${seen}`;
    }),
  );
  return views.join('; ');
}

/** Arrays that acknowledged writes first sent between `fromMs` and `toMs`. */
function arraysAcknowledging(acks: readonly AckedWrite[], fromMs: number, toMs: number): string[] {
  return [...new Set(acks.filter((w) => w.submittedMs > fromMs && w.submittedMs < toMs).map((w) => w.array))];
}

async function cutAndWait(ctx: DrillContext, all: BlockWriter[]) {
  const { rec, lab, clock } = ctx;
  ctx.onCleanup(`restore the replication link ${A} <-> ${B}`, () => lab.linkAction(A, B, 'restore'));
  const cutMs = clock();
  rec.event(`replication link ${A} <-> ${B} cut (silent: no FIN, no RST)`, 'fault', cutMs);
  await rec.step(`cut the replication link ${A} <-> ${B}`, () => lab.linkAction(A, B, 'cut'));
  const acks = () => all.flatMap((w) => w.acked);
  const resumed = await rec
    .step(
      'wait until both hosts have writes acknowledged again',
      async () => {
        await waitUntil('writes resumed', RESUME_TIMEOUT_MS, () =>
          all.every((w) => w.acked.some((a) => a.submittedMs > cutMs)),
        );
        return firstAck(acks(), { submittedAfterMs: cutMs })!;
      },
      (ack) => `first on ${ack.array} after ${seconds(ack.ackedMs - cutMs)} s`,
    )
    .catch(() => firstAck(acks(), { submittedAfterMs: cutMs }));
  if (resumed)
    rec.event(
      `first write sent after the cut acknowledged, by ${resumed.array}`,
      'recovery',
      resumed.ackedMs,
    );
  const views = await rec.step(
    'ask both arrays how they see the pod',
    () => podViews(ctx),
    (v) => v,
  );
  return { cutMs, resumed, views };
}

async function restoreAndResync(ctx: DrillContext) {
  const { rec, lab, clock } = ctx;
  const restoreMs = clock();
  rec.event(`replication link ${A} <-> ${B} restored`, 'step', restoreMs);
  await rec.step(`restore the replication link ${A} <-> ${B}`, () => lab.linkAction(A, B, 'restore'));
  await rec.step(`wait for ${CINDER_POD} to be online on both arrays (resync)`, () =>
    waitUntil(`${CINDER_POD} online on both`, RESYNC_TIMEOUT_MS, () => podOnlineEverywhere(lab, [A, B])),
  );
  const onlineMs = clock();
  rec.event(`${CINDER_POD} online on ${A} and ${B} again`, 'recovery', onlineMs);
  const logs = [A, B].map((a) => lab.arrayEntry(a).logFile);
  return {
    restoreToOnlineS: seconds(onlineMs - restoreMs),
    resyncBytes: await resyncBytesFromLogs(logs, CINDER_POD, restoreMs),
  };
}

async function verifyAll(ctx: DrillContext, volume: DrillVolume, array: string, records: WriterRecord[]) {
  const address = ctx.lab.arrayEntry(array).nbd;
  const results = await ctx.rec.step(
    `read back every acknowledged write from ${array}`,
    () => Promise.all(records.map((r) => verifyOnArray(array, address, volume.exportName, r))),
    (rs) => rs.map((r) => `${r.writer}: ${r.present} of ${r.acknowledged} present`).join('; '),
  );
  const lost = results.reduce((n, r) => n + r.lost, 0);
  const oldest = results.map((r) => r.oldestLostAckedMs).filter((t): t is number => t !== null);
  return { lost, oldestLostAckedMs: oldest.length > 0 ? Math.min(...oldest) : null };
}

/** Both hosts write; the link is cut at the midpoint; writing goes on for the second half. */
async function writeThroughCut(ctx: DrillContext, volume: DrillVolume) {
  const { rec, options, clock } = ctx;
  const halfMs = (options.writeSeconds * 1000) / 2;
  const all = writers(ctx, volume);
  const writeStartMs = clock();
  for (const w of all) w.start();
  await rec.step(`write numbered blocks through ${A} and ${B}`, async () => {
    for (const w of all) await waitForAcks(w, 1, RESUME_TIMEOUT_MS);
    await sleep(Math.max(0, writeStartMs + halfMs - clock()));
  });
  const { cutMs, resumed, views } = await cutAndWait(ctx, all);
  await rec.step('keep writing on the survivor', () => sleep(halfMs));
  const records = await Promise.all(all.map((w) => w.stop()));
  const events = all.flatMap((w) => w.events);
  return { records, events, cutMs, resumed, views, writeStartMs, stopMs: clock() };
}

/** Who served during the split, how fast, and whether anything acknowledged was lost. */
async function judgeSplit(
  ctx: DrillContext,
  volume: DrillVolume,
  run: Awaited<ReturnType<typeof writeThroughCut>>,
) {
  const { rec, options } = ctx;
  const { records, events, cutMs, resumed, views, stopMs } = run;
  const acks = records.flatMap((r) => r.acked);
  rec.writeRateFrom(acks, run.writeStartMs, stopMs);
  const survivor = resumed?.array ?? null;
  const loser = survivor === A ? B : survivor === B ? A : null;
  const refused = events.some((e) => e.kind === 'io-error' && e.array === loser && e.atMs > cutMs);
  const rto = rtoSeconds(cutMs, resumed);
  rec.measure('survivor', survivor);
  rec.measure('loserRefusedIo', loser === null ? null : refused);
  rec.measure('podViewsAfterCut', views);
  rec.measure('rtoS', rto);
  rec.measure('writeStallS', seconds(longestAckGapMs(acks, cutMs, stopMs)));
  rec.measure('acknowledgedWrites', acks.length);
  const onSurvivor = survivor ? await verifyAll(ctx, volume, survivor, records) : null;
  const rpo = onSurvivor ? syncRpoSeconds(cutMs, onSurvivor.oldestLostAckedMs) : null;
  rec.measure('lostWrites', onSurvivor?.lost ?? null);
  rec.measure('rpoS', rpo);
  rec.check(atMost('RTO (cut to the first write acknowledged after it)', rto, options.rtoObjectiveS, 's'));
  rec.check(atMost('RPO (how far back acknowledged writes were lost)', rpo, options.rpoObjectiveS ?? 0, 's'));
  rec.check(equals('acknowledged writes lost', onSurvivor?.lost ?? null, 0, 'writes'));
  const serving = arraysAcknowledging(acks, cutMs, stopMs);
  rec.check(equals('arrays acknowledging writes during the split', serving.length, 1, 'arrays'));
  return loser;
}

async function run(ctx: DrillContext): Promise<void> {
  const { rec } = ctx;
  const volume = await prepare(ctx);
  const lag = syncLagSampler(ctx, [A, B]);
  lag.start();
  try {
    const written = await writeThroughCut(ctx, volume);
    const loser = await judgeSplit(ctx, volume, written);
    const resync = await restoreAndResync(ctx);
    rec.measure('restoreToOnlineS', resync.restoreToOnlineS);
    rec.measure('resyncBytes', resync.resyncBytes);
    if (loser) {
      const onLoser = await verifyAll(ctx, volume, loser, written.records);
      rec.check(
        equals(`acknowledged writes missing on ${loser} after the resync`, onLoser.lost, 0, 'writes'),
      );
    }
  } finally {
    rec.replicationLag.push(await lag.stop());
  }
  rec.note(
    'The cut is silent (the lab proxy stops forwarding without closing): the arrays notice by their heartbeats, then claim the split at the mediator.',
  );
  rec.note(
    'Each host is a multipath host writing to its own array; on an I/O error it retries on the other array, as a host with uniform access would.',
  );
}

export const linkCut: Scenario = {
  name: 'link-cut',
  title: 'Replication link site-a <-> site-b cut under writes on both arrays',
  summary: 'cut the a<->b replication link under a writer on each array; the mediator keeps one array',
  defaults: { rpoS: 0, rtoS: 15 },
  objectives:
    'RTO: cut to the first write sent after it and acknowledged (by the survivor). RPO: 0 = no acknowledged write lost.',
  needs: ['site-a', 'site-b', 'mediator', 'cinder'],
  run,
};
