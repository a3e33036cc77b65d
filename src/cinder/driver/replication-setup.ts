// The array objects replication needs (spec §5): the ActiveCluster pod stretched to every sync
// target, and a protection group with retention, schedule and targets, allowed on each target.
// Every step tolerates what is already in place, so setup can run at every start.

import { hasError, PURITY_ERROR_TEXT } from '../purity-client/index.js';
import type { DriverContext, FlashArray } from './context.js';
import { arrayFailure, PureDriverException } from './errors.js';
import { replicaPgroupName } from './names.js';

/** `_create_pod_if_not_exist`: a destroyed pod of that name is eradicated and made again. */
export async function createPodIfNotExist(
  ctx: DriverContext,
  array: FlashArray,
  name: string,
): Promise<void> {
  if (!name) throw new PureDriverException('Empty string passed for Pod name.');
  const res = await array.client.pods.post({ names: [name] }, {});
  if (res.ok) return clearDefaultProtections(ctx, array, name);
  if (hasError(res, PURITY_ERROR_TEXT.alreadyExists)) {
    ctx.logger.debug?.({ pod: name }, 'pod already exists');
    return;
  }
  const existing = await array.client.pods.get({ names: [name] });
  if (existing.ok && existing.items[0]?.destroyed) {
    ctx.logger.warn({ pod: name }, 'pod is destroyed but not eradicated: eradicating and creating it again');
    const gone = await array.client.pods.delete({ names: [name] });
    if (!gone.ok) throw arrayFailure(`Eradicating pod ${name}`, array.name, gone);
    const again = await array.client.pods.post({ names: [name] }, {});
    if (!again.ok) throw arrayFailure(`Creating pod ${name}`, array.name, again);
    return clearDefaultProtections(ctx, array, name);
  }
  throw arrayFailure(`Creating pod ${name}`, array.name, res);
}

/**
 * SafeMode arrays may give a new pod a default protection group, which Cinder does not support
 * unless pure_safemode_enabled: it is taken off and eradicated. An array that cannot answer
 * (older Purity, or an endpoint it lacks) is read as having no default protection.
 */
async function clearDefaultProtections(ctx: DriverContext, array: FlashArray, pod: string): Promise<void> {
  if (!array.safemode || ctx.pure.safemodeEnabled) return;
  const res = await array.client.containerDefaultProtections.get({ names: [pod] });
  const protections = res.ok ? (res.items[0]?.default_protections ?? []) : [];
  if (!res.ok) ctx.logger.debug?.({ pod, status: res.status }, 'no default protections readable');
  const first = protections[0];
  if (first === undefined) return;
  const cleared = await array.client.containerDefaultProtections.patch(
    { names: [pod] },
    { default_protections: [] },
  );
  if (!cleared.ok) {
    ctx.logger.warn({ pod, status: cleared.status }, 'Failed to remove Default Protection Container');
    return;
  }
  await array.client.protectionGroups.patch({ names: [first.name] }, { destroyed: true });
  await array.client.protectionGroups.delete({ names: [first.name] });
}

/** `_setup_replicated_pods`: the pod exists and is stretched to each sync target. */
export async function stretchPod(
  ctx: DriverContext,
  primary: FlashArray,
  pod: string,
  targets: readonly FlashArray[],
): Promise<void> {
  await createPodIfNotExist(ctx, primary, pod);
  for (const target of targets) {
    const res = await primary.client.podsArrays.post({ group_names: [pod], member_names: [target.name] });
    if (res.ok) continue;
    if (hasError(res, PURITY_ERROR_TEXT.alreadyExists) || hasError(res, PURITY_ERROR_TEXT.limitReached)) {
      ctx.logger.info({ pod, target: target.name }, 'pod already stretched to the target');
      continue;
    }
    throw arrayFailure(`Stretching pod ${pod} to ${target.name}`, primary.name, res);
  }
}

/** `_create_protection_group_if_not_exist`. */
export async function createPgroupIfNotExist(ctx: DriverContext, array: FlashArray, name: string) {
  if (!name) throw new PureDriverException('Empty string passed for PG name.');
  const res = await array.client.protectionGroups.post({ names: [name] });
  if (res.ok || hasError(res, PURITY_ERROR_TEXT.alreadyExists)) return;
  const existing = await array.client.protectionGroups.get({ names: [name] });
  if (existing.ok && existing.items[0]?.destroyed) {
    ctx.logger.warn({ pgroup: name }, 'protection group is destroyed but not eradicated: making it again');
    await array.client.protectionGroups.delete({ names: [name] });
    const again = await array.client.protectionGroups.post({ names: [name] });
    if (again.ok) return;
    throw arrayFailure(`Creating protection group ${name}`, array.name, again);
  }
  throw arrayFailure(`Creating protection group ${name}`, array.name, res);
}

export interface PgroupReplication {
  /** Replication frequency in ms (pure_replica_interval_default × 1000). */
  frequencyMs: number;
  /** Target retention, or null to leave the array's default (consistency groups). */
  retention: { all_for_sec: number; per_day: number; days: number } | null;
}

/**
 * `_setup_replicated_pgroups`: create, retention, frequency, targets, wait for the replica on
 * each target and allow it there, wait until the source sees it allowed, enable the schedule.
 */
export async function setUpReplicatedPgroup(
  ctx: DriverContext,
  primary: FlashArray,
  targets: readonly FlashArray[],
  pgroup: string,
  replication: PgroupReplication,
): Promise<void> {
  await createPgroupIfNotExist(ctx, primary, pgroup);
  const pg = primary.client.protectionGroups;
  if (replication.retention !== null) {
    const res = await pg.patch({ names: [pgroup] }, { target_retention: replication.retention });
    if (!res.ok) throw arrayFailure(`Setting retention of ${pgroup}`, primary.name, res);
  }
  const frequency = { replication_schedule: { frequency: replication.frequencyMs } };
  const scheduled = await pg.patch({ names: [pgroup] }, frequency);
  if (!scheduled.ok)
    throw arrayFailure(`Setting the replication frequency of ${pgroup}`, primary.name, scheduled);
  for (const target of targets) {
    const res = await primary.client.protectionGroupsTargets.post({
      group_names: [pgroup],
      member_names: [target.name],
    });
    if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.alreadyIncludes))
      throw arrayFailure(`Adding target ${target.name} to ${pgroup}`, primary.name, res);
  }
  const replica = replicaPgroupName(primary.name, pgroup);
  for (const target of targets) await allowOnTarget(ctx, target, replica);
  if (targets.length > 0) await waitAllowedOnSource(ctx, primary, pgroup);
  const enabled = await pg.patch({ names: [pgroup] }, { replication_schedule: { enabled: true } });
  if (!enabled.ok) throw arrayFailure(`Enabling replication of ${pgroup}`, primary.name, enabled);
}

async function allowOnTarget(ctx: DriverContext, target: FlashArray, replica: string): Promise<void> {
  await ctx.pollUntil(
    `Protection Group not ready: ${replica} never appeared on ${target.name}.`,
    async () => {
      const res = await target.client.protectionGroups.get({ names: [replica] });
      return res.ok;
    },
  );
  const res = await target.client.protectionGroupsTargets.patch(
    { group_names: [replica] },
    { allowed: true },
  );
  if (!res.ok && !hasError(res, PURITY_ERROR_TEXT.alreadyAllowedOn))
    throw arrayFailure(`Allowing ${replica}`, target.name, res);
}

/** Every target of the group reads as allowed on the source (Cinder looks at the first only). */
async function waitAllowedOnSource(ctx: DriverContext, primary: FlashArray, pgroup: string): Promise<void> {
  await ctx.pollUntil(`Replication not allowed yet for ${pgroup}.`, async () => {
    const res = await primary.client.protectionGroupsTargets.get({ group_names: [pgroup] });
    return res.ok && res.items.length > 0 && res.items.every((t) => t.allowed);
  });
}
