// What every scenario gets: the lab, the Cinder API as admin, the recorder, the options, and a
// cleanup stack that runs (in reverse order) whatever happened, so the lab is left usable.

import type { CinderApi } from '../cinder-api.js';
import type { Lab } from '../lab.js';
import type { Recorder } from '../recorder.js';

export interface DrillOptions {
  labDir: string;
  reportDir: string;
  /** Objectives, in seconds; null RPO when the scenario has none. */
  rpoObjectiveS: number | null;
  rtoObjectiveS: number;
  writeSeconds: number;
  writeRatePerS: number;
  snapshotIntervalS: number;
  json: boolean;
}

export interface DrillContext {
  scenario: string;
  lab: Lab;
  cinder: CinderApi;
  rec: Recorder;
  options: DrillOptions;
  clock: () => number;
  /** Written into every block, so blocks of another run are never mistaken for this one's. */
  runId: number;
  /** Makes object names unique per run: `tandem-drill-<scenario>-<stamp>`. */
  stamp: string;
  onCleanup(what: string, run: () => Promise<unknown>): void;
}

export interface Scenario {
  name: string;
  title: string;
  /** One line for `tandem drill --help`. */
  summary: string;
  defaults: { rpoS: number | null; rtoS: number };
  /** What RPO and RTO mean in this scenario, for --help and the report. */
  objectives: string;
  /** Daemons that must be running before it starts. */
  needs: readonly string[];
  run(ctx: DrillContext): Promise<void>;
}
