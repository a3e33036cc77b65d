// `tandem pod list|wait|stretch`: stretched pods seen from one array, and waiting for a baseline or
// a resync with a progress bar (the pod's `arrays[].progress`, which both arrays report).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { PodArrayView } from '../drill/array-api.js';
import { type ArrayTarget, resolveArray } from './array-target.js';
import { ProgressBar } from './progress-bar.js';
import { parseSeconds, printJson, withArrayOptions } from './target-options.js';

/** How often the pod is asked while waiting. */
const POLL_MS = 500;
const DEFAULT_WAIT_SECONDS = 3600;

interface PodView {
  name: string;
  arrays: PodArrayView[];
}

interface TargetFlags {
  array: string;
  labDir?: string;
  apiTokenFile?: string;
  json?: boolean;
}

async function podView(target: ArrayTarget, pod: string): Promise<PodView> {
  const [view] = await target.api.call<PodView>('GET', '/pods', { names: [pod] });
  if (!view) throw new Error(`${target.name} has no pod ${pod}`);
  return view;
}

function memberLine(member: PodArrayView): string {
  const progress = member.progress === null ? '' : ` ${(member.progress * 100).toFixed(1)}%`;
  return `${member.name} ${member.status}${progress}`;
}

/**
 * Polls until every member of `pod` is online, drawing the progress of the member being brought
 * up to date; throws after `timeoutSeconds`.
 */
async function waitInSync(target: ArrayTarget, pod: string, timeoutSeconds: number): Promise<PodView> {
  const bar = new ProgressBar({ label: `pod ${pod}`, unit: 'ratio' });
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    for (;;) {
      const view = await podView(target, pod);
      if (view.arrays.every((a) => a.status === 'online')) {
        bar.finish(`in sync on ${view.arrays.map((a) => a.name).join(' and ')}`);
        return view;
      }
      const behind = view.arrays.find((a) => a.status === 'resyncing');
      const note = view.arrays
        .filter((a) => a.status !== 'online')
        .map(memberLine)
        .join(', ');
      if (behind?.progress != null) bar.update(behind.progress, 1, note);
      else bar.update(0, null, note);
      if (Date.now() >= deadline)
        throw new Error(
          `pod ${pod} is still not in sync after ${timeoutSeconds} s (${note}); an offline member comes back when its array and the replication link are up`,
        );
      await sleep(POLL_MS);
    }
  } catch (error) {
    bar.fail((error as Error).message);
    throw error;
  }
}

function printPods(pods: PodView[]): void {
  if (pods.length === 0) {
    console.log('no pods');
    return;
  }
  for (const pod of pods) console.log(`${pod.name.padEnd(24)} ${pod.arrays.map(memberLine).join(', ')}`);
}

export function registerPodCommands(program: Command): void {
  const pod = program
    .command('pod')
    .description('stretched pods (sync replication) on an array: list, wait for resync, stretch');

  withArrayOptions(pod.command('list').description('the pods of an array and how each member is')).action(
    async (flags: TargetFlags) => {
      const target = await resolveArray(flags);
      const pods = await target.api.call<PodView>('GET', '/pods');
      if (flags.json) printJson(pods.map((p) => ({ name: p.name, arrays: p.arrays })));
      else printPods(pods);
    },
  );

  withArrayOptions(
    pod
      .command('wait')
      .description('wait until every member of the pod is online (baseline or resync done), with progress')
      .argument('<pod>', 'pod name')
      .option('--timeout <seconds>', 'give up after this long (exit 1)', parseSeconds, DEFAULT_WAIT_SECONDS),
  ).action(async (name: string, flags: TargetFlags & { timeout: number }) => {
    const target = await resolveArray(flags);
    const started = Date.now();
    const view = await waitInSync(target, name, flags.timeout);
    if (flags.json)
      printJson({ pod: name, arrays: view.arrays, waitedSeconds: (Date.now() - started) / 1000 });
  });

  withArrayOptions(
    pod
      .command('stretch')
      .description('stretch a pod to another array (POST /pods/arrays) and follow its baseline copy')
      .argument('<pod>', 'pod name')
      .requiredOption('--to <array>', 'the array to stretch to (connected for sync replication)')
      .option('--no-wait', 'return once the stretch is accepted, without following the baseline')
      .option(
        '--timeout <seconds>',
        'give up waiting for the baseline after this long (exit 1)',
        parseSeconds,
        DEFAULT_WAIT_SECONDS,
      ),
  ).action(async (name: string, flags: TargetFlags & { to: string; wait: boolean; timeout: number }) => {
    const target = await resolveArray(flags);
    const started = Date.now();
    await target.api.call('POST', '/pods/arrays', { group_names: [name], member_names: [flags.to] });
    const view = flags.wait ? await waitInSync(target, name, flags.timeout) : await podView(target, name);
    if (flags.json)
      printJson({
        pod: name,
        stretchedTo: flags.to,
        arrays: view.arrays,
        waitedSeconds: (Date.now() - started) / 1000,
      });
    else if (!flags.wait) console.log(`pod ${name}: ${view.arrays.map(memberLine).join(', ')}`);
  });
}
