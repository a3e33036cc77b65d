// The Markdown report: the verdict first, then each check against its objective, what was
// measured, the steps, the timeline, notes and what cleanup did.

import { type DrillReport, formatCheck, formatValue, type Measurement } from './report.js';

/** Labels and units of the measurements scenarios record (unknown keys are shown as they are). */
export const MEASUREMENT_LABELS: Record<string, { label: string; unit: string }> = {
  rtoS: { label: 'RTO', unit: 's' },
  rpoS: { label: 'RPO', unit: 's' },
  acknowledgedWrites: { label: 'acknowledged writes', unit: 'writes' },
  lostWrites: { label: 'acknowledged writes lost', unit: 'writes' },
  unacknowledgedWritesAtStop: {
    label: 'writes unanswered when the writer stopped (not counted)',
    unit: 'writes',
  },
  corruptBlocks: { label: 'blocks neither zero nor a valid drill block', unit: 'blocks' },
  writeStallS: { label: 'longest pause in acknowledgements after the fault', unit: 's' },
  siteARestartS: { label: 'site-a restart (journal replay, rejoin)', unit: 's' },
  resyncS: { label: 'resync (array up to pod online on both)', unit: 's' },
  resyncBytes: { label: 'resync bytes sent', unit: 'bytes' },
  lostWritesOnSiteAAfterResync: {
    label: 'acknowledged writes missing on site-a after resync',
    unit: 'writes',
  },
  survivor: { label: 'array the mediator kept', unit: '' },
  loserRefusedIo: { label: 'the other array refused I/O', unit: '' },
  podViewsAfterCut: { label: 'the pod as each array saw it after the cut', unit: '' },
  restoreToOnlineS: { label: 'link restore to pod online on both', unit: 's' },
  snapshotsTaken: { label: 'protection group snapshots taken', unit: '' },
  newestSnapshot: { label: 'newest snapshot on site-c at the loss', unit: '' },
  newestSnapshotAgeS: { label: 'its age at the loss', unit: 's' },
  writesAfterSnapshotLost: { label: 'acknowledged writes lost (after that snapshot)', unit: 'writes' },
  missingBeforeSnapshot: { label: 'writes acknowledged before that snapshot but missing', unit: 'writes' },
  failoverS: { label: 'failover_host to pure-dr until failed-over', unit: 's' },
  failbackS: { label: 'failover_host default until the service is enabled', unit: 's' },
  arraysRestartS: { label: 'restart of site-a and site-b', unit: 's' },
  podOnlineAfterRestartS: { label: 'cinder-pod online on both again (after the failback)', unit: 's' },
  wayBackS: { label: 'restart of both arrays plus failback', unit: 's' },
  siteLossRtoS: { label: 'site-loss RTO (loss until the volume read on site-c)', unit: 's' },
  siteLossRpoS: { label: 'site-loss RPO (age of the newest snapshot on site-c)', unit: 's' },
  volumeReplicationStatus: { label: 'drill volume replication status after failover', unit: '' },
  volumesByStatus: { label: 'all volumes by status', unit: '' },
  serviceStatus: { label: 'service after failback', unit: '' },
  volumeStatus: { label: 'drill volume after failback', unit: '' },
};

export function measurementRows(measurements: Record<string, Measurement>): Array<[string, string]> {
  return Object.entries(measurements).map(([key, value]) => {
    const known = MEASUREMENT_LABELS[key];
    return [known?.label ?? key, formatValue(value, known?.unit ?? '')];
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function renderMarkdown(report: DrillReport): string {
  const parts = [
    `# Drill ${report.scenario}: ${report.verdict.toUpperCase()}`,
    '',
    report.title,
    '',
    `Started ${report.startedAt}, took ${report.durationS} s. Lab: \`${report.lab.dir}\` (control API ${report.lab.controlUrl}, Cinder host \`${report.lab.cinderHost}\`).`,
    '',
    '## Objectives',
    '',
    `RPO objective: ${formatValue(report.objectives.rpoS, 's')}; RTO objective: ${formatValue(report.objectives.rtoS, 's')}.`,
    '',
    ...report.checks.map((c) => `- ${formatCheck(c)}`),
  ];
  if (report.error) parts.push('', `**The drill stopped early:** ${report.error}`);
  parts.push('', '## Measurements', '', table(['What', 'Value'], measurementRows(report.measurements)));
  parts.push(
    '',
    '## Steps',
    '',
    table(
      ['#', 'Step', 'Start (s)', 'Took (s)', 'Result'],
      report.steps.map((s, i) => [
        String(i + 1),
        s.name,
        s.startS.toFixed(3),
        s.durationS.toFixed(3),
        `${s.ok ? 'ok' : 'FAILED'}${s.detail ? `: ${s.detail}` : ''}`,
      ]),
    ),
  );
  parts.push(
    '',
    '## Timeline',
    '',
    table(
      ['t (s)', 'Kind', 'Event'],
      report.timeline.map((e) => [e.tS.toFixed(3), e.kind, e.label]),
    ),
  );
  if (report.notes.length > 0) parts.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`));
  if (report.cleanup.length > 0) parts.push('', '## Cleanup', '', ...report.cleanup.map((c) => `- ${c}`));
  return `${parts.join('\n')}\n`;
}
