// The drill reports from a hand-made report: the verdict follows the checks, the Markdown states
// each check against its objective, the HTML page is self-contained (inline SVG charts, no script,
// nothing fetched) and escapes what it shows; the progress display on a terminal and off it.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createProgress } from '../../src/drill/progress.js';
import { atMost, type DrillReport, equals, verdictOf } from '../../src/drill/report.js';
import { writeReports } from '../../src/drill/report-files.js';
import { renderHtml } from '../../src/drill/report-html.js';
import { renderMarkdown } from '../../src/drill/report-md.js';
import { niceCeiling } from '../../src/drill/svg-charts.js';

function sampleReport(): DrillReport {
  const checks = [atMost('RTO', 1.5, 10, 's'), equals('acknowledged writes lost', 0, 0, 'writes')];
  return {
    tool: 'tandem drill',
    reportVersion: 1,
    scenario: 'array-loss',
    title: 'Loss of <site-a>',
    verdict: verdictOf(checks, null),
    startedAt: '2026-11-25T00:00:00.000Z',
    finishedAt: '2026-11-25T00:00:10.000Z',
    durationS: 10,
    lab: { dir: '/tmp/lab', controlUrl: 'http://127.0.0.1:8700', cinderHost: 'tandem@puredriver-1' },
    objectives: { rpoS: 0, rtoS: 10 },
    measurements: { rtoS: 1.5, lostWrites: 0, survivor: 'site-b', loserRefusedIo: true },
    checks,
    steps: [
      { name: 'kill site-a', startS: 2, durationS: 0.1, ok: true, detail: null },
      { name: 'wait for writes', startS: 2.1, durationS: 1.4, ok: true, detail: 'first after 1.5 s' },
    ],
    timeline: [
      { tS: 2, at: '2026-11-25T00:00:02.000Z', kind: 'fault', label: 'site-a killed' },
      { tS: 3.5, at: '2026-11-25T00:00:03.500Z', kind: 'recovery', label: 'first write on site-b' },
    ],
    charts: {
      writeRate: [{ name: 'acknowledged by site-a', unit: 'writes/s', points: [{ tS: 0.5, value: 500 }] }],
      replicationLag: [{ name: 'time since both copies were equal', unit: 's', points: [] }],
    },
    notes: ['a note'],
    cleanup: ['delete volume: done'],
    error: null,
    files: null,
  };
}

test('drill report: pass only when every check passes and the drill did not stop early', () => {
  assert.equal(verdictOf([atMost('RTO', 1, 10, 's')], null), 'pass');
  assert.equal(verdictOf([atMost('RTO', 11, 10, 's')], null), 'fail');
  assert.equal(verdictOf([atMost('RTO', null, 10, 's')], null), 'fail', 'an RTO never measured fails');
  assert.equal(verdictOf([atMost('RTO', 1, 10, 's')], 'resync did not finish'), 'fail');
  assert.equal(verdictOf([], null), 'fail', 'a drill that checked nothing did not pass');
});

test('drill report: Markdown states the verdict and each check against its objective', () => {
  const md = renderMarkdown(sampleReport());
  assert.match(md, /^# Drill array-loss: PASS/);
  assert.match(md, /- PASS RTO: 1\.5 s \(objective <= 10 s\)/);
  assert.match(md, /\| RTO \| 1\.5 s \|/);
  assert.match(md, /\| the other array refused I\/O \| yes \|/);
  assert.match(md, /\| 2\.000 \| fault \| site-a killed \|/);
});

test('drill report: the HTML page is self-contained, with SVG charts and escaped text', () => {
  const html = renderHtml(sampleReport());
  assert.equal((html.match(/<svg /g) ?? []).length, 3, 'write rate, replication lag, failover timeline');
  assert.ok(!/<script|<link |src=|@import/.test(html), 'nothing loaded from elsewhere');
  assert.ok(!html.includes('<site-a>'), 'text is escaped');
  assert.match(html, /Loss of &#60;site-a&#62;/);
  assert.match(html, /class="pass">PASS/);
  assert.match(html, /no samples/, 'an empty series says so');
});

test('drill report: JSON, Markdown and HTML are written side by side and name each other', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-drill-report-'));
  try {
    const written = await writeReports(sampleReport(), dir, '20261125-000000');
    assert.equal(written.files?.html, join(dir, 'array-loss-20261125-000000.html'));
    const json = JSON.parse(await readFile(written.files!.json, 'utf8')) as DrillReport;
    assert.deepEqual(json.files, written.files);
    assert.match(await readFile(written.files!.markdown, 'utf8'), /Drill array-loss/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('drill charts: axes end on round numbers', () => {
  assert.deepEqual([0, 0.7, 3, 7.3, 10, 12.74, 450].map(niceCeiling), [1, 0.8, 3, 8, 10, 15, 500]);
});

test('drill progress: timestamped lines off a terminal, a redrawn spinner line on one', () => {
  let plain = '';
  const off = createProgress({ write: (t: string) => (plain += t) }, 'array-loss', () =>
    Date.UTC(2026, 10, 25),
  );
  off.begin('kill site-a');
  off.end('kill site-a', true, 120, 'gone');
  off.close();
  assert.equal(
    plain,
    '2026-11-25T00:00:00.000Z drill array-loss: kill site-a ...\n2026-11-25T00:00:00.000Z drill array-loss: kill site-a done in 0.1 s: gone\n',
  );
  let tty = '';
  const on = createProgress({ write: (t: string) => (tty += t), isTTY: true }, 'array-loss', () => 0);
  on.begin('kill site-a');
  on.end('kill site-a', false, 1500, 'refused');
  on.close();
  assert.match(tty, /\r\x1b\[2K. array-loss: kill site-a \(0\.0 s\)/);
  assert.match(tty, /✖ kill site-a \(1\.5 s\): refused\n/);
});
