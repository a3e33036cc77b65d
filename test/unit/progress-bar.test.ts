// The CLI's progress display: rate and ETA from the recent window, a bar redrawn in place on a
// terminal, throttled plain lines otherwise, and the summary line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatDuration, ProgressBar } from '../../src/cli/progress-bar.js';

function output(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 200, write: (text: string) => writes.push(text) } };
}

test('formatBytes and formatDuration', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
  assert.equal(formatBytes(32 * 1024 * 1024), '32.0 MiB');
  assert.equal(formatDuration(75), '1:15');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(-3), '0:00');
});

test('bytes: rate over the recent window and ETA from what is left', () => {
  let now = 0;
  const { out, writes } = output(true);
  const bar = new ProgressBar({ label: 'copy', unit: 'bytes', out, clock: () => now });
  bar.update(0, 100 * 1024 * 1024);
  now = 1000;
  bar.update(10 * 1024 * 1024, 100 * 1024 * 1024);
  const s = bar.snapshot();
  assert.equal(s.rate, 10 * 1024 * 1024);
  assert.equal(s.etaSeconds, 9);
  assert.equal(s.fraction, 0.1);
  const last = writes[writes.length - 1]!;
  assert.match(
    last,
    /^\r\x1b\[2Kcopy {2}\[##-{22}\] {3}10\.0% {2}10\.0 MiB of 100 MiB {2}10\.0 MiB\/s {2}ETA 0:09$/,
  );
  // The rate follows a change of speed once the old samples leave the window.
  for (let t = 2; t <= 8; t++) {
    now = t * 1000;
    bar.update((10 + (t - 1) * 2) * 1024 * 1024, 100 * 1024 * 1024);
  }
  assert.equal(bar.snapshot().rate, 2 * 1024 * 1024);
});

test('terminal: redrawn at most ten times a second, finished with a summary line', () => {
  let now = 0;
  const { out, writes } = output(true);
  const bar = new ProgressBar({ label: 'copy', unit: 'bytes', out, clock: () => now });
  for (let i = 0; i < 50; i++) {
    now = i * 10;
    bar.update(i, 100);
  }
  assert.equal(writes.length, 5, 'one redraw per 100 ms over 500 ms');
  now = 2000;
  bar.update(100, 100);
  bar.finish('100 B copied');
  assert.match(writes[writes.length - 1]!, /^\r\x1b\[2Kcopy: 100 B copied in 2\.0 s, 50 B\/s on average\n$/);
  bar.update(5, 100);
  assert.equal(writes.length, 7, 'nothing after finish');
});

test('plain: timestamped lines at each tenth or every 5 s, never control codes', () => {
  let now = Date.parse('2026-11-25T00:00:00Z');
  const { out, writes } = output(false);
  const bar = new ProgressBar({ label: 'pod p', unit: 'ratio', out, clock: () => now });
  for (let i = 0; i <= 100; i++) {
    now += 100;
    bar.update(i / 100, 1, 'site-b resyncing', i * 1000);
  }
  // 0% (first line), then each new tenth: 11 lines over 10 s.
  assert.equal(writes.length, 11);
  assert.ok(writes.every((w) => /^2026-11-25T00:00:\d\d\.\d{3}Z pod p /.test(w) && !w.includes('\x1b')));
  assert.match(
    writes[5]!,
    /pod p {3}50\.0% {2}48\.8 KiB sent {2}9\.77 KiB\/s {2}ETA 0:05 {2}site-b resyncing\n$/,
  );
  // A long stall still prints every 5 s.
  now += 5000;
  bar.update(1, 1);
  assert.equal(writes.length, 12);
  bar.fail('link down');
  assert.match(writes[12]!, /pod p: stopped at 100\.0%: link down\n$/);
});

test('unknown total: amount and elapsed time, no percentage', () => {
  let now = 0;
  const { out, writes } = output(false);
  const bar = new ProgressBar({ label: 'x', unit: 'bytes', out, clock: () => now });
  now = 1000;
  bar.update(2048, null);
  assert.match(writes[0]!, / x {2}2\.00 KiB {2}0:01 elapsed\n$/);
  assert.equal(bar.snapshot().etaSeconds, null);
});
