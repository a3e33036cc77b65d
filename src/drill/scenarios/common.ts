// Steps several scenarios share: a Cinder volume of a replicated type, the drill's host connected
// to it on some arrays, a writer on it, waiting for a pod to be online everywhere again.

import {
  BACKEND_UP_TIMEOUT_MS,
  CINDER_POD,
  DRILL_BLOCK_BYTES,
  DRILL_HOST_PREFIX,
  DRILL_IQN_PREFIX,
  DRILL_VOLUME_GIB,
  POLL_INTERVAL_MS,
  SAMPLE_INTERVAL_MS,
  VOLUME_READY_TIMEOUT_MS,
  WRITER_QUEUE_DEPTH,
} from '../constants.js';
import { DrillUnrunnable, messageOf } from '../errors.js';
import type { Lab } from '../lab.js';
import { podLagSample, Sampler } from '../sampler.js';
import { BlockWriter, type WritePath } from '../writer.js';
import type { DrillContext } from './context.js';

/** Where the driver creates volumes (san_ip of the lab's backend). */
const PRIMARY_ARRAY = 'site-a';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DrillVolume {
  id: string;
  type: string;
  /** The array volume, which is also its NBD export name. */
  exportName: string;
  slotCount: number;
}

/** Polls until `done()` answers true; throws `what` after `timeoutMs`. */
export async function waitUntil(what: string, timeoutMs: number, done: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The Cinder Pure driver's array name for a volume: `volume-<id>-cinder`, in the pod when sync. */
export function purityVolumeName(id: string, inPod: boolean): string {
  return `${inPod ? `${CINDER_POD}::` : ''}volume-${id}-cinder`;
}

/** Waits until Cinder's scheduler has the lab's backend again (its stats report after an array came back). */
export async function waitBackendUp(ctx: DrillContext): Promise<void> {
  const host = ctx.lab.descriptor.cinder.host;
  await ctx.rec.step(`wait until Cinder's backend ${host} reports its pool`, () =>
    waitUntil(`backend ${host} reporting`, BACKEND_UP_TIMEOUT_MS, () => ctx.cinder.backendUp(host)),
  );
}

/** A volume of `type` made through the Cinder API (as an operator would); deleted at cleanup. */
export async function createDrillVolume(
  ctx: DrillContext,
  type: string,
  inPod: boolean,
): Promise<DrillVolume> {
  const name = `${DRILL_HOST_PREFIX}-${ctx.scenario}-${ctx.stamp}`;
  if (!(await ctx.cinder.backendUp(ctx.lab.descriptor.cinder.host)))
    await waitBackendUp(ctx).catch((error: unknown) => {
      throw new DrillUnrunnable(`${messageOf(error)}: see the cinder log and tandem lab status`);
    });
  let created: { id: string };
  try {
    created = await ctx.cinder.createVolume(name, type, DRILL_VOLUME_GIB);
    // The driver only destroys; eradicating spares the pod a full compare of a dead 1 GiB volume
    // whenever both arrays restart, and the array its space.
    ctx.onCleanup(`delete Cinder volume ${name} and eradicate it on ${PRIMARY_ARRAY}`, async () => {
      await ctx.cinder.deleteVolume(created.id, VOLUME_READY_TIMEOUT_MS);
      await ctx.lab.array(PRIMARY_ARRAY).eradicateVolume(purityVolumeName(created.id, inPod));
    });
    await ctx.cinder.waitVolume(created.id, ['available'], VOLUME_READY_TIMEOUT_MS);
  } catch (error) {
    throw new DrillUnrunnable(`could not create a ${type} volume through Cinder: ${messageOf(error)}`);
  }
  const exportName = purityVolumeName(created.id, inPod);
  const slotCount = (DRILL_VOLUME_GIB * 1024 ** 3) / DRILL_BLOCK_BYTES;
  return { id: created.id, type, exportName, slotCount };
}

export function drillHostName(ctx: DrillContext): string {
  return `${DRILL_HOST_PREFIX}-${ctx.stamp}`;
}

/** The drill host (Purity REST POST /hosts, POST /connections) on each array; removed at cleanup. */
export async function connectDrillHost(ctx: DrillContext, arrays: readonly string[], volume: string) {
  const host = drillHostName(ctx);
  const iqn = `${DRILL_IQN_PREFIX}:${ctx.stamp}`;
  for (const name of arrays) {
    const api = ctx.lab.array(name);
    ctx.onCleanup(`disconnect and delete host ${host} on ${name}`, () => api.removeHost(host, [volume]));
    await api.ensureHost(host, iqn);
    await api.connectVolume(host, volume);
  }
}

/** Starts those of `names` the lab does not show running (a restart a failed drill still owes). */
export async function startIfDown(lab: Lab, names: readonly string[]): Promise<void> {
  const now = await lab.refresh();
  const down = now.arrays.filter((a) => names.includes(a.name) && a.state !== 'running');
  await Promise.all(down.map((a) => lab.arrayAction(a.name, 'start')));
}

export function nbdPath(lab: Lab, array: string): WritePath {
  return { array, address: lab.arrayEntry(array).nbd };
}

/** A writer of numbered blocks over `slots` of the volume; its path events go on the timeline. */
export function drillWriter(
  ctx: DrillContext,
  name: string,
  volume: DrillVolume,
  paths: WritePath[],
  slots: { first: number; count: number },
  runOffset = 0,
): BlockWriter {
  const writer = new BlockWriter({
    name,
    exportName: volume.exportName,
    paths,
    runId: ctx.runId + runOffset,
    firstSlot: slots.first,
    slotCount: slots.count,
    ratePerS: ctx.options.writeRatePerS,
    queueDepth: WRITER_QUEUE_DEPTH,
    clock: ctx.clock,
    onEvent: (e) => {
      const what =
        e.kind === 'connected' ? 'writes go to' : e.kind === 'io-error' ? 'I/O error on' : 'cannot reach';
      ctx.rec.event(
        `${e.writer}: ${what} ${e.array}${e.kind === 'connected' ? '' : ` (${e.detail})`}`,
        'io',
        e.atMs,
      );
    },
  });
  // A drill that stops early must not leave its host writing while the cleanup disconnects it.
  ctx.onCleanup(`stop the writer (${name})`, () => writer.stop());
  return writer;
}

/** True when every array of `arrays` answers and sees every member of `pod` online. */
export async function podOnlineEverywhere(lab: Lab, arrays: readonly string[], pod = CINDER_POD) {
  for (const name of arrays) {
    const members = await lab
      .array(name)
      .podArrays(pod)
      .catch(() => []);
    if (members.length < arrays.length || members.some((m) => m.status !== 'online')) return false;
  }
  return true;
}

/** Refuses to start (exit 2) unless the pod is online on both arrays. */
export async function requirePodOnline(ctx: DrillContext, arrays: readonly string[]) {
  if (!(await podOnlineEverywhere(ctx.lab, arrays)))
    throw new DrillUnrunnable(
      `${CINDER_POD} is not online on ${arrays.join(' and ')} (a resync may be under way): wait, or check with tandem lab status`,
    );
}

/** The chart of how long the pod's two copies have differed, sampled from both arrays. */
export function syncLagSampler(ctx: DrillContext, arrays: readonly string[]): Sampler {
  const sample = podLagSample(ctx.lab, arrays, CINDER_POD);
  return new Sampler(
    'time since both copies were equal',
    's',
    sample,
    ctx.clock,
    ctx.rec.startMs,
    SAMPLE_INTERVAL_MS,
  );
}

/** Waits until `writer` has `count` more acknowledgements, or fails after `timeoutMs`. */
export function waitForAcks(writer: BlockWriter, count: number, timeoutMs: number) {
  const start = writer.acked.length;
  return waitUntil('writes acknowledged', timeoutMs, () => writer.acked.length >= start + count);
}
