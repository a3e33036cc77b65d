// The performance families Pure's exporter writes for arrays, volumes and pods
// (purefa_<kind>_performance_{latency_usec,throughput_iops,bandwidth_bytes,average_bytes} with a
// `dimension` label named after the REST field). Only what Tandem measures is written: the
// mirrored-write, SAN, queue and QoS dimensions are never measured here, and a constant 0 would
// hide a real problem (Pure's alert on usec_per_mirrored_write_op could never fire).

import type { PerfRates } from '../array/objects/perf.js';
import type { Labels, MetricSet } from './exposition.js';

type Setter = (labels: Labels, value: number) => void;

export interface PerfFamilies {
  latency: Setter;
  throughput: Setter;
  bandwidth: Setter;
  average: Setter;
}

/** Declares the four families of one object kind ('array', 'volume', 'pod'). */
export function perfFamilies(set: MetricSet, kind: string, what: string): PerfFamilies {
  const prefix = `purefa_${kind}_performance`;
  return {
    latency: set.gauge(`${prefix}_latency_usec`, `FlashArray ${what} latency in microseconds`),
    throughput: set.gauge(
      `${prefix}_throughput_iops`,
      `FlashArray ${what} throughput in operations per second`,
    ),
    bandwidth: set.gauge(`${prefix}_bandwidth_bytes`, `FlashArray ${what} bandwidth in bytes per second`),
    average: set.gauge(`${prefix}_average_bytes`, `FlashArray ${what} average operation size in bytes`),
  };
}

export function writePerf(families: PerfFamilies, labels: Labels, rates: PerfRates): void {
  const at = (dimension: string) => ({ ...labels, dimension });
  families.latency(at('usec_per_read_op'), rates.usecPerReadOp);
  families.latency(at('usec_per_write_op'), rates.usecPerWriteOp);
  families.latency(at('usec_per_other_op'), rates.usecPerOtherOp);
  // Tandem's latency is all service time: nothing queues in front of the engine or in a SAN.
  families.latency(at('service_usec_per_read_op'), rates.usecPerReadOp);
  families.latency(at('service_usec_per_write_op'), rates.usecPerWriteOp);
  families.throughput(at('reads_per_sec'), rates.readsPerSec);
  families.throughput(at('writes_per_sec'), rates.writesPerSec);
  families.throughput(at('others_per_sec'), rates.othersPerSec);
  families.bandwidth(at('read_bytes_per_sec'), rates.readBytesPerSec);
  families.bandwidth(at('write_bytes_per_sec'), rates.writeBytesPerSec);
  const perOp = (bytes: number, ops: number) => (ops > 0 ? Math.round(bytes / ops) : 0);
  families.average(at('bytes_per_read'), perOp(rates.readBytesPerSec, rates.readsPerSec));
  families.average(at('bytes_per_write'), perOp(rates.writeBytesPerSec, rates.writesPerSec));
  families.average(
    at('bytes_per_op'),
    perOp(
      rates.readBytesPerSec + rates.writeBytesPerSec,
      rates.readsPerSec + rates.writesPerSec + rates.othersPerSec,
    ),
  );
}

/** Rates of several objects as one (a pod's volumes): sums, and latencies weighted by their ops. */
export function sumRates(all: PerfRates[]): PerfRates {
  const sum = (pick: (r: PerfRates) => number) => all.reduce((total, r) => total + pick(r), 0);
  const weighted = (usec: (r: PerfRates) => number, ops: (r: PerfRates) => number) => {
    const count = sum(ops);
    return count > 0 ? Math.round(sum((r) => usec(r) * ops(r)) / count) : 0;
  };
  return {
    readsPerSec: sum((r) => r.readsPerSec),
    writesPerSec: sum((r) => r.writesPerSec),
    othersPerSec: sum((r) => r.othersPerSec),
    readBytesPerSec: sum((r) => r.readBytesPerSec),
    writeBytesPerSec: sum((r) => r.writeBytesPerSec),
    usecPerReadOp: weighted(
      (r) => r.usecPerReadOp,
      (r) => r.readsPerSec,
    ),
    usecPerWriteOp: weighted(
      (r) => r.usecPerWriteOp,
      (r) => r.writesPerSec,
    ),
    usecPerOtherOp: weighted(
      (r) => r.usecPerOtherOp,
      (r) => r.othersPerSec,
    ),
  };
}
