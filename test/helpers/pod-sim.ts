// A seeded, deterministic simulator for two PodMachines and a mediator: simulated clock, a link
// that is cut and restored, messages delayed (so reordered) and sometimes lost, the mediator
// reachable or not from each array, resyncs that take time. Same seed, same run.

import {
  type PodCommand,
  type PodInput,
  type PodIoMode,
  PodMachine,
  type PodMachineConfig,
} from '../../src/replication/sync/pod-machine.js';

import { seededRandom } from './seeded-random.js';

export interface SimOptions {
  seed: number;
  durationMs: number;
  preferred: string | null;
  /** Fraction of pod messages lost on the link. */
  lossRate: number;
  decisionTimeoutMs?: number;
}

export interface SimResult {
  /** Split-brain and timing violations found; empty when the run was safe. */
  violations: string[];
  /** Epochs in which some array served alone, and which one. */
  aloneByEpoch: Map<number, string>;
  finalModes: Record<string, PodIoMode>;
  finalPhases: Record<string, string>;
  events: number;
  crashes: number;
}

interface Node {
  name: string;
  machine: PodMachine;
  io: PodIoMode;
  holdSinceMs: number | null;
  linkUp: boolean;
  /** The link generation this array last noticed (a replaced connection is a down and an up). */
  generationSeen: number;
  /** Down after a crash: its inputs are lost until it restarts (from its persisted epoch). */
  crashed: boolean;
  /** How far this array's monotonic clock has jumped ahead (a paused VM, say). */
  clockJumpMs: number;
  /** Persisted by the controller: this array served alone and has not resynced the other yet. */
  servingAlone: boolean;
}

const TICK_MS = 50;
const HEALTH_MS = 200;
const MEDIATOR_TIMEOUT_MS = 300;

export function runPodSimulation(options: SimOptions): SimResult {
  const random = seededRandom(options.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const decisionTimeoutMs = options.decisionTimeoutMs ?? 1000;
  const config = (self: string, peer: string): PodMachineConfig => ({
    self,
    peer,
    preferred: options.preferred,
    decisionTimeoutMs,
    nonPreferredClaimDelayMs: 200,
  });
  const nodes: Record<string, Node> = {
    A: {
      name: 'A',
      machine: new PodMachine(config('A', 'B')),
      io: 'mirror',
      holdSinceMs: null,
      linkUp: true,
      generationSeen: 0,
      crashed: false,
      clockJumpMs: 0,
      servingAlone: false,
    },
    B: {
      name: 'B',
      machine: new PodMachine(config('B', 'A')),
      io: 'mirror',
      holdSinceMs: null,
      linkUp: true,
      generationSeen: 0,
      crashed: false,
      clockJumpMs: 0,
      servingAlone: false,
    },
  };
  const peerOf = (name: string) => (name === 'A' ? nodes.B! : nodes.A!);
  let partitioned = false;
  let crashes = 0;
  let linkUp = true;
  let linkGeneration = 0;
  const mediatorReachable: Record<string, boolean> = { A: true, B: true };
  const grants = new Map<number, string>();
  const aloneByEpoch = new Map<number, string>();
  const violations: string[] = [];
  let now = 0;
  let seq = 0;
  let events = 0;
  const queue: Array<{ at: number; seq: number; run: () => void }> = [];
  const at = (delayMs: number, run: () => void) => {
    queue.push({ at: now + delayMs, seq: seq++, run });
  };

  const feed = (node: Node, input: PodInput) => {
    if (node.crashed) return;
    if ('nowMs' in input) input = { ...input, nowMs: input.nowMs + node.clockJumpMs };
    for (const command of node.machine.step(input)) perform(node, command);
    check(node);
  };

  const perform = (node: Node, command: PodCommand) => {
    switch (command.type) {
      case 'io':
        // As the controller persists: serving alone survives a restart, mirroring clears it.
        if (command.mode === 'local') node.servingAlone = true;
        if (command.mode === 'mirror') node.servingAlone = false;
        node.io = command.mode;
        node.holdSinceMs = command.mode === 'hold' ? now : null;
        if (command.mode === 'local') {
          const epoch = node.machine.state.epoch;
          const other = aloneByEpoch.get(epoch);
          if (other && other !== node.name)
            violations.push(`t=${now}: ${node.name} and ${other} both served alone in epoch ${epoch}`);
          aloneByEpoch.set(epoch, node.name);
        }
        break;
      case 'claim': {
        const epoch = command.epoch;
        if (mediatorReachable[node.name]) {
          at(between(5, 50), () => {
            if (!grants.has(epoch)) grants.set(epoch, node.name);
            feed(node, { type: 'mediator-answer', epoch, granted: grants.get(epoch) === node.name });
          });
        } else {
          at(MEDIATOR_TIMEOUT_MS, () => feed(node, { type: 'mediator-unreachable', epoch }));
        }
        break;
      }
      case 'send': {
        if (!linkUp || random() < options.lossRate) break;
        const generation = linkGeneration;
        const to = peerOf(node.name);
        at(between(1, 30), () => {
          // A message on a connection that broke meanwhile is lost with it.
          if (linkUp && generation === linkGeneration && to.linkUp)
            feed(to, { type: 'message', message: command.message });
        });
        break;
      }
      case 'start-resync': {
        const generation = linkGeneration;
        at(between(100, 600), () => {
          if (linkUp && generation === linkGeneration) feed(node, { type: 'resync-done' });
        });
        break;
      }
    }
  };

  const check = (node: Node) => {
    if (nodes.A!.io === 'local' && nodes.B!.io === 'local')
      violations.push(`t=${now}: both arrays serve alone`);
    const limit = decisionTimeoutMs + 2 * TICK_MS + MEDIATOR_TIMEOUT_MS;
    if (node.holdSinceMs !== null && now - node.holdSinceMs > limit)
      violations.push(`t=${now}: ${node.name} held I/O for ${now - node.holdSinceMs} ms`);
  };

  const setLink = (up: boolean) => {
    if (linkUp === up) return;
    linkUp = up;
    linkGeneration++;
    for (const node of Object.values(nodes)) {
      // Each side notices on its own (heartbeats time out, redials succeed), and always sees a
      // replaced connection as a loss followed by a new link.
      at(up ? between(10, 200) : between(100, 600), () => {
        if (node.generationSeen === linkGeneration) return;
        node.generationSeen = linkGeneration;
        if (node.linkUp) {
          node.linkUp = false;
          feed(node, { type: 'link-down', nowMs: now });
        }
        if (linkUp) {
          node.linkUp = true;
          feed(node, { type: 'link-up', nowMs: now });
        }
      });
    }
  };

  const linkShouldBeUp = () => !partitioned && !nodes.A!.crashed && !nodes.B!.crashed;
  const crash = (node: Node) => {
    if (node.crashed) return;
    crashes++;
    const epoch = node.machine.state.epoch; // persisted by the controller whenever it changes
    node.crashed = true;
    node.io = 'fail';
    node.holdSinceMs = null;
    setLink(false);
    at(between(300, 4000), () => {
      node.crashed = false;
      node.linkUp = false;
      node.generationSeen = linkGeneration;
      const peer = peerOf(node.name).name;
      node.machine = new PodMachine(config(node.name, peer), {
        phase: node.servingAlone ? 'alone' : 'stopped',
        epoch,
      });
      node.io = node.servingAlone ? 'local' : 'fail';
      setLink(linkShouldBeUp());
      if (linkUp) {
        node.linkUp = true;
        feed(node, { type: 'link-up', nowMs: now });
      }
    });
  };

  for (const node of Object.values(nodes)) {
    const tick = () => {
      feed(node, { type: 'tick', nowMs: now });
      at(TICK_MS, tick);
    };
    at(between(0, TICK_MS), tick);
    const health = () => {
      feed(node, { type: 'mediator-health', reachable: mediatorReachable[node.name]! });
      at(HEALTH_MS, health);
    };
    at(between(0, HEALTH_MS), health);
  }
  const fault = () => {
    if (now > options.durationMs) return;
    const roll = random();
    if (roll < 0.05) {
      crash(random() < 0.5 ? nodes.A! : nodes.B!);
    } else if (roll < 0.1) {
      const node = random() < 0.5 ? nodes.A! : nodes.B!;
      node.clockJumpMs += between(100, 5000);
    } else if (roll < 0.4) {
      partitioned = !partitioned;
      setLink(linkShouldBeUp());
    } else if (roll < 0.55) mediatorReachable.A = !mediatorReachable.A;
    else if (roll < 0.7) mediatorReachable.B = !mediatorReachable.B;
    else if (roll < 0.8) {
      const reachable = random() < 0.5;
      mediatorReachable.A = reachable;
      mediatorReachable.B = reachable;
    } else if (roll < 0.9) {
      // One site's network fails: it loses the peer and the mediator at the same moment.
      const site = random() < 0.5 ? 'A' : 'B';
      mediatorReachable[site] = false;
      partitioned = true;
      setLink(false);
    } else {
      // The mediator and the inter-site link fail together.
      mediatorReachable.A = false;
      mediatorReachable.B = false;
      partitioned = true;
      setLink(false);
    }
    at(between(200, 3000), fault);
  };
  at(between(200, 3000), fault);
  // After the faults: heal everything and give the arrays time to get back in sync.
  at(options.durationMs + 1, () => {
    partitioned = false;
    setLink(linkShouldBeUp());
    mediatorReachable.A = true;
    mediatorReachable.B = true;
  });
  const endMs = options.durationMs + 15_000;
  while (queue.length > 0) {
    queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
    const next = queue.shift()!;
    if (next.at > endMs) break;
    now = next.at;
    events++;
    next.run();
  }
  return {
    violations,
    aloneByEpoch,
    finalModes: { A: nodes.A!.io, B: nodes.B!.io },
    finalPhases: { A: nodes.A!.machine.state.phase, B: nodes.B!.machine.state.phase },
    events,
    crashes,
  };
}
