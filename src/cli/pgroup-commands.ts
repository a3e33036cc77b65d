// `tandem pgroup list|replicate`: protection groups of an array, and a snapshot replicated now to
// every target with the transfer's progress, amount sent and rate.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { TransferView } from '../drill/array-api.js';
import { resolveArray, UsageError } from './array-target.js';
import { formatDuration, ProgressBar } from './progress-bar.js';
import { parseSeconds, printJson, withArrayOptions } from './target-options.js';

const POLL_MS = 500;
const DEFAULT_WAIT_SECONDS = 3600;

interface TargetFlags {
  array: string;
  labDir?: string;
  apiTokenFile?: string;
  json?: boolean;
}

interface PgroupView {
  name: string;
  targets?: Array<{ name: string; allowed: boolean }>;
  target_count: number;
  replication_schedule: { enabled: boolean; frequency: number };
}

interface SnapshotView {
  name: string;
  created: number;
}

export function registerPgroupCommands(program: Command): void {
  const pgroup = program
    .command('pgroup')
    .description('protection groups (async replication) on an array: list, replicate now');

  withArrayOptions(
    pgroup.command('list').description('protection groups, their targets and newest transfer'),
  ).action(async (flags: TargetFlags) => {
    const { api } = await resolveArray(flags);
    const groups = await api.call<PgroupView>('GET', '/protection-groups');
    const rows = [];
    for (const group of groups) {
      const transfers = await api.transfers(group.name);
      const done = transfers
        .filter((t) => t.completed !== null)
        .sort((a, b) => (b.completed ?? 0) - (a.completed ?? 0))[0];
      rows.push({
        name: group.name,
        targets: group.target_count,
        replicateEverySeconds: group.replication_schedule.enabled
          ? group.replication_schedule.frequency / 1000
          : null,
        lastTransfer: done
          ? { snapshot: done.name, completed: done.completed, bytes: done.data_transferred }
          : null,
      });
    }
    if (flags.json) {
      printJson(rows);
      return;
    }
    if (rows.length === 0) console.log('no protection groups');
    for (const row of rows) {
      const every =
        row.replicateEverySeconds === null
          ? 'schedule off'
          : `every ${formatDuration(row.replicateEverySeconds)}`;
      const last = row.lastTransfer
        ? `last transfer ${row.lastTransfer.snapshot} ${new Date(row.lastTransfer.completed!).toISOString()}`
        : 'no transfer yet';
      console.log(`${row.name.padEnd(32)} ${row.targets} target(s), ${every}, ${last}`);
    }
  });

  withArrayOptions(
    pgroup
      .command('replicate')
      .description('snapshot the group now and send it to every target, following the transfer')
      .argument('<pgroup>', 'protection group name')
      .option('--suffix <suffix>', 'snapshot suffix (default: the next number)')
      .option(
        '--timeout <seconds>',
        'give up waiting after this long (exit 1)',
        parseSeconds,
        DEFAULT_WAIT_SECONDS,
      ),
  ).action(async (name: string, flags: TargetFlags & { suffix?: string; timeout: number }) => {
    const { api } = await resolveArray(flags);
    const targets = await api.call<{ member: { name: string }; allowed: boolean }>(
      'GET',
      '/protection-groups/targets',
      { group_names: [name] },
    );
    const allowed = targets.filter((t) => t.allowed).map((t) => t.member.name);
    const disallowed = targets.filter((t) => !t.allowed).map((t) => t.member.name);
    if (targets.length > 0 && allowed.length === 0)
      throw new UsageError(
        `no target of ${name} allows it yet (${disallowed.join(', ')}): on each target array allow it with PATCH /protection-groups/targets?group_names=SOURCE:${name} {"allowed": true}`,
      );
    const started = Date.now();
    const [snapshot] = await api.call<SnapshotView>(
      'POST',
      '/protection-group-snapshots',
      { source_names: [name], replicate_now: true },
      flags.suffix ? { suffix: flags.suffix } : {},
    );
    if (!snapshot) throw new Error(`no snapshot of ${name} in the array's answer`);
    const bar = new ProgressBar({ label: `transfer ${snapshot.name}`, unit: 'ratio' });
    const deadline = started + flags.timeout * 1000;
    let transfer: TransferView | undefined;
    try {
      for (;;) {
        [transfer] = await api.call<TransferView>('GET', '/protection-group-snapshots/transfer', {
          names: [snapshot.name],
        });
        if (!transfer || transfer.progress === null) {
          bar.finish('taken; the group has no targets, nothing to send');
          break;
        }
        if (transfer.completed !== null && transfer.progress >= 1) {
          bar.update(1, 1, '', transfer.data_transferred);
          bar.finish(`on ${allowed.join(' and ')}`);
          break;
        }
        bar.update(
          transfer.progress,
          1,
          transfer.started === null ? 'queued' : '',
          transfer.data_transferred,
        );
        if (Date.now() >= deadline)
          throw new Error(
            `the transfer of ${snapshot.name} is not done after ${flags.timeout} s: is the replication link up? (GET /array-connections)`,
          );
        await sleep(POLL_MS);
      }
    } catch (error) {
      bar.fail((error as Error).message);
      throw error;
    }
    if (flags.json)
      printJson({
        snapshot: snapshot.name,
        started: transfer?.started ?? null,
        completed: transfer?.completed ?? null,
        dataTransferredBytes: transfer?.data_transferred ?? 0,
        seconds: (Date.now() - started) / 1000,
      });
  });
}
