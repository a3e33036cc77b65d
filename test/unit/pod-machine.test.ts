import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PodCommand, PodMachine } from '../../src/replication/sync/pod-machine.js';
import { runPodSimulation } from '../helpers/pod-sim.js';

const SEEDS = Number(process.env.TANDEM_POD_SEEDS ?? 300);

function pair(preferred: string | null) {
  const config = { preferred, decisionTimeoutMs: 1000, nonPreferredClaimDelayMs: 200 };
  return {
    a: new PodMachine({ self: 'A', peer: 'B', ...config }),
    b: new PodMachine({ self: 'B', peer: 'A', ...config }),
  };
}

const ios = (commands: PodCommand[]) =>
  commands.filter((c) => c.type === 'io').map((c) => (c as { mode: string }).mode);
const sent = (commands: PodCommand[]) =>
  commands.filter((c) => c.type === 'send').map((c) => (c as { message: unknown }).message);

test('sync: split with the mediator up -> the preferred array claims at once and keeps the pod, the other stops', () => {
  const { a, b } = pair('B');
  const downA = a.step({ type: 'link-down', nowMs: 0 });
  const downB = b.step({ type: 'link-down', nowMs: 0 });
  assert.deepEqual(ios(downA), ['hold']);
  assert.ok(!downA.some((c) => c.type === 'claim'), 'the non-preferred array waits before claiming');
  assert.deepEqual(
    downB.filter((c) => c.type === 'claim'),
    [{ type: 'claim', epoch: 1 }],
  );
  assert.deepEqual(ios(b.step({ type: 'mediator-answer', epoch: 1, granted: true })), ['local']);
  assert.deepEqual(
    a.step({ type: 'tick', nowMs: 250 }).filter((c) => c.type === 'claim'),
    [{ type: 'claim', epoch: 1 }],
  );
  assert.deepEqual(ios(a.step({ type: 'mediator-answer', epoch: 1, granted: false })), ['fail']);
  assert.equal(a.state.phase, 'stopped');
  assert.equal(b.state.phase, 'alone');
});

test('sync: split with the mediator unreachable and no pre-election -> both stop within the deadline', () => {
  const { a } = pair(null);
  a.step({ type: 'link-down', nowMs: 0 });
  assert.deepEqual(ios(a.step({ type: 'tick', nowMs: 1000 })), ['fail']);
  assert.equal(a.state.phase, 'stopped');
});

test('sync: mediator lost while connected -> pre-election in two steps; on a split only the candidate serves', () => {
  const { a, b } = pair('A');
  // B is not the candidate: it promises to stop first and says so.
  const fromB = sent(b.step({ type: 'mediator-health', reachable: false }));
  assert.deepEqual(fromB, [{ type: 'pre-elect-ack', epoch: 0 }]);
  a.step({ type: 'mediator-health', reachable: false });
  assert.equal(a.state.preElected, false, 'not before the promise arrives');
  a.step({ type: 'message', message: { type: 'pre-elect-ack', epoch: 0 } });
  assert.equal(a.state.preElected, true);
  assert.deepEqual(ios(a.step({ type: 'link-down', nowMs: 0 })), ['hold', 'local']);
  assert.deepEqual(ios(b.step({ type: 'link-down', nowMs: 0 })), ['hold', 'fail']);
});

test('sync: the promise arrives before the candidate finds the mediator down -> repeated, it still pre-elects', () => {
  const { a, b } = pair('A');
  const first = sent(b.step({ type: 'mediator-health', reachable: false }));
  a.step({ type: 'message', message: first[0] as never });
  assert.equal(a.state.preElected, false, 'A still believes the mediator reachable');
  a.step({ type: 'mediator-health', reachable: false });
  const again = sent(b.step({ type: 'mediator-health', reachable: false }));
  assert.deepEqual(again, [{ type: 'pre-elect-ack', epoch: 0 }], 'B repeats its promise');
  a.step({ type: 'message', message: again[0] as never });
  assert.equal(a.state.preElected, true);
});

test('sync: a promise from an earlier epoch does not pre-elect', () => {
  const { a } = pair('A');
  a.step({ type: 'mediator-health', reachable: false });
  a.step({ type: 'link-down', nowMs: 0 }); // epoch 1
  a.step({ type: 'link-up', nowMs: 10 });
  a.step({ type: 'message', message: { type: 'status', phase: 'stopped', epoch: 1 } });
  assert.equal(a.state.phase, 'synced');
  a.step({ type: 'message', message: { type: 'pre-elect-ack', epoch: 0 } });
  assert.equal(a.state.preElected, false);
});

test('sync: rejoin after a split -> the survivor resyncs the other, then both mirror again', () => {
  const { a, b } = pair('A');
  a.step({ type: 'link-down', nowMs: 0 });
  b.step({ type: 'link-down', nowMs: 0 });
  a.step({ type: 'mediator-answer', epoch: 1, granted: true });
  b.step({ type: 'tick', nowMs: 300 });
  b.step({ type: 'mediator-answer', epoch: 1, granted: false });
  a.step({ type: 'link-up', nowMs: 5000 });
  b.step({ type: 'link-up', nowMs: 5000 });
  const onA = a.step({ type: 'message', message: { type: 'status', phase: 'stopped', epoch: 1 } });
  assert.ok(onA.some((c) => c.type === 'start-resync'));
  assert.equal(a.state.phase, 'resync-source');
  b.step({ type: 'message', message: { type: 'status', phase: 'resync-source', epoch: 1 } });
  assert.equal(b.state.phase, 'resync-target');
  assert.equal(b.state.io, 'fail', 'the stale copy serves nothing until it is in sync');
  const done = a.step({ type: 'resync-done' });
  assert.deepEqual(ios(done), ['mirror']);
  const resynced = sent(done).find((m) => (m as { type: string }).type === 'resynced');
  b.step({ type: 'message', message: resynced as never });
  assert.equal(b.state.phase, 'synced');
  assert.equal(b.state.io, 'mirror');
});

test(`sync: ${SEEDS} seeded runs of partitions, crashes, clock jumps, mediator and message loss -> never two arrays alone, always back in sync`, () => {
  let splitsServed = 0;
  let crashes = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const preferred = seed % 3 === 0 ? null : seed % 3 === 1 ? 'A' : 'B';
    const result = runPodSimulation({
      seed,
      durationMs: 30_000,
      preferred,
      lossRate: seed % 2 === 0 ? 0.1 : 0,
    });
    assert.deepEqual(result.violations, [], `seed ${seed} (replay: TANDEM_POD_SEEDS, seed ${seed})`);
    assert.deepEqual(
      result.finalModes,
      { A: 'mirror', B: 'mirror' },
      `seed ${seed}: ${JSON.stringify(result.finalPhases)}`,
    );
    splitsServed += result.aloneByEpoch.size;
    crashes += result.crashes;
  }
  assert.ok(crashes > SEEDS / 2, `crashes injected: ${crashes}`);
  assert.ok(
    splitsServed > SEEDS,
    `splits served alone: ${splitsServed} (the runs must exercise the decision)`,
  );
});

test('sync: the same seed gives the same run', () => {
  const one = runPodSimulation({ seed: 42, durationMs: 20_000, preferred: 'A', lossRate: 0.1 });
  const two = runPodSimulation({ seed: 42, durationMs: 20_000, preferred: 'A', lossRate: 0.1 });
  assert.equal(one.events, two.events);
  assert.deepEqual([...one.aloneByEpoch], [...two.aloneByEpoch]);
});
