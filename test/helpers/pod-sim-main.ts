// `npm run sim -- --seed N` replays one seeded pod simulation and prints what happened;
// `npm run sim -- --seeds M` runs seeds 1..M and prints a summary (split brains must be 0).

import { runPodSimulation } from './pod-sim.js';

function option(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
}

const single = option('--seed');
const seeds =
  single === undefined ? Array.from({ length: option('--seeds') ?? 1000 }, (_, i) => i + 1) : [single];
let violations = 0;
let splitsServedAlone = 0;
let notConverged = 0;
let crashes = 0;
for (const seed of seeds) {
  const preferred = seed % 3 === 0 ? null : seed % 3 === 1 ? 'A' : 'B';
  const result = runPodSimulation({
    seed,
    durationMs: 30_000,
    preferred,
    lossRate: seed % 2 === 0 ? 0.1 : 0,
  });
  violations += result.violations.length;
  splitsServedAlone += result.aloneByEpoch.size;
  crashes += result.crashes;
  const converged = result.finalModes.A === 'mirror' && result.finalModes.B === 'mirror';
  if (!converged) notConverged++;
  if (single !== undefined || result.violations.length > 0 || !converged) {
    console.log(
      JSON.stringify({
        seed,
        preferred,
        ...result,
        aloneByEpoch: [...result.aloneByEpoch],
      }),
    );
  }
}
console.log(JSON.stringify({ seeds: seeds.length, violations, splitsServedAlone, crashes, notConverged }));
process.exitCode = violations > 0 || notConverged > 0 ? 1 : 0;
