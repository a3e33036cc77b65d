// The short CI version of `npm run torture`: two randomized fault trials against a stretched pod.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTorture } from '../torture/pod-torture.js';

const TRIALS = Number(process.env.TANDEM_TORTURE_TRIALS ?? 2);
const SEED = Number(process.env.TANDEM_TORTURE_SEED ?? 7);

test(`torture: ${TRIALS} randomized kill/partition trials -> no lost writes, no split brain, copies equal`, async (t) => {
  const summary = await runTorture(TRIALS, SEED, (line) => t.diagnostic(line));
  t.diagnostic(JSON.stringify(summary));
  assert.equal(summary.trials, TRIALS);
  assert.ok(summary.acknowledgedWrites > 0);
  assert.equal(summary.lostWrites, 0, 'lost writes');
  assert.equal(summary.splitBrains, 0, 'split brains');
  assert.equal(summary.divergedBlocks, 0, 'blocks that differ between the arrays');
  assert.equal(summary.stuckWrites, 0, 'writes that never got an answer');
});
