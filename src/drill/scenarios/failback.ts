// failback: after a site loss (the service failed over to pure-dr), site-a and site-b come back
// and the service is failed back with failover_host "default". RTO is the failback request until
// the service is enabled again. When the service is not failed over yet, the drill first runs the
// site-loss steps itself. Volume states are reported: replicated volumes that are not sync volumes
// of an ActiveCluster go to error on failback, as the Cinder Pure driver documents.

import { seconds } from '../measurements.js';
import { atMost, equals } from '../report.js';
import { waitBackendUp } from './common.js';
import type { DrillContext, Scenario } from './context.js';
import { failBack, PEER, PRIMARY, startSites, waitPodBack } from './dr-site.js';
import { loseAndRecoverOnDr } from './site-loss.js';

/** The prelude's own RTO and RPO are kept under other names: this drill's RTO is the failback's. */
function renamePreludeMeasurements(ctx: DrillContext): void {
  const m = ctx.rec.measurements;
  for (const [from, to] of [
    ['rtoS', 'siteLossRtoS'],
    ['rpoS', 'siteLossRpoS'],
  ] as const) {
    if (from in m) {
      m[to] = m[from] ?? null;
      delete m[from];
    }
  }
}

async function volumeStates(ctx: DrillContext, volumeId: string | null): Promise<void> {
  const { rec, cinder } = ctx;
  const all = await cinder.volumes();
  const counts = new Map<string, number>();
  for (const v of all) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
  rec.measure('volumesByStatus', [...counts].map(([status, n]) => `${status}: ${n}`).join(', ') || 'none');
  if (volumeId === null) return;
  const volume = await cinder.volume(volumeId);
  rec.measure(
    'volumeStatus',
    volume ? `${volume.status} (replication ${volume.replication_status})` : 'gone',
  );
}

async function run(ctx: DrillContext): Promise<void> {
  const { rec, cinder, lab, options } = ctx;
  const host = lab.descriptor.cinder.host;
  const service = await rec.step(
    'read the Cinder service state',
    () => cinder.volumeService(host),
    (s) => `${s.replication_status}, active backend ${s.active_backend_id ?? 'default'}`,
  );
  let volumeId: string | null = null;
  if (service.replication_status !== 'failed-over') {
    rec.note(
      'The service was not failed over, so the drill first ran the site-loss steps (kill site-a and site-b, failover_host to pure-dr, read on site-c); their figures are kept as siteLossRtoS and siteLossRpoS, and only the failback is checked against the objectives.',
    );
    await lab.requireRunning([PRIMARY, PEER]);
    volumeId = (await loseAndRecoverOnDr(ctx, false)).volumeId;
    renamePreludeMeasurements(ctx);
  } else {
    rec.note(
      `The service was failed over to ${service.active_backend_id} already; the drill fails back from there.`,
    );
  }
  const restartS = await startSites(ctx);
  rec.measure('arraysRestartS', restartS);
  let failbackS: number | null = null;
  try {
    failbackS = await failBack(ctx);
  } finally {
    rec.measure('failbackS', failbackS);
    rec.measure('rtoS', failbackS);
    rec.check(
      atMost(
        'RTO (failover_host default until the service is enabled)',
        failbackS,
        options.rtoObjectiveS,
        's',
      ),
    );
  }
  const after = await cinder.volumeService(host);
  rec.measure(
    'serviceStatus',
    `${after.status}, replication ${after.replication_status}, backend ${after.active_backend_id ?? 'default'}`,
  );
  rec.check(equals('service status after failback', after.status, 'enabled'));
  await rec.step('read the volume states', () => volumeStates(ctx, volumeId));
  rec.measure('podOnlineAfterRestartS', await waitPodBack(ctx));
  await waitBackendUp(ctx);
  rec.note(
    `Failback makes no array calls: async replication runs one way, so every replicated volume except the sync volumes of an ActiveCluster goes to error on failback. That is the Cinder Pure driver's documented behaviour (data written on the DR array after the failover is not copied back); the drill's AsyncReplicated volume shows it. ${PRIMARY} and ${PEER} were restarted through the lab control API before the failback, as the driver needs the primary reachable.`,
  );
  if (failbackS !== null) rec.measure('wayBackS', seconds((restartS + failbackS) * 1000));
}

export const failback: Scenario = {
  name: 'failback',
  title: 'Failback from the async DR array (site-c) to the primary after a site loss',
  summary: 'after a site-loss (run first if needed): restart site-a and site-b, failover_host default',
  defaults: { rpoS: null, rtoS: 60 },
  objectives:
    'RTO: failover_host default until the Cinder service is enabled again. RPO: not applicable (failback moves no data; async volumes go to error, as the Cinder Pure driver documents).',
  needs: ['site-c', 'mediator', 'cinder'],
  run,
};
