// The HTML report: one self-contained page (inline CSS and SVG, no scripts, nothing fetched), with
// the verdict, the checks, the charts of write rate, replication lag and the failover timeline,
// and the same tables as the Markdown report.

import { type DrillReport, formatValue } from './report.js';
import { measurementRows } from './report-md.js';
import { escapeXml, lineChart, timelineChart } from './svg-charts.js';

const STYLE = `
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #111; }
h1 .pass { color: #15803d; } h1 .fail { color: #b91c1c; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
td.pass { color: #15803d; font-weight: bold; } td.fail { color: #b91c1c; font-weight: bold; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #444; }
.error { background: #fee2e2; padding: 0.5em; }
`;

const esc = escapeXml;

function table(header: string[], rows: string[][], classes?: Array<string | null>): string {
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row, r) =>
        `<tr>${row.map((c, i) => `<td${i === row.length - 1 && classes?.[r] ? ` class="${classes[r]}"` : ''}>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

function checksTable(report: DrillReport): string {
  return table(
    ['Check', 'Measured', 'Objective', 'Result'],
    report.checks.map((c) => [
      c.name,
      formatValue(c.measured, c.unit),
      c.objective === null ? 'must happen' : `${c.comparison} ${formatValue(c.objective, c.unit)}`,
      c.pass ? 'PASS' : 'FAIL',
    ]),
    report.checks.map((c) => (c.pass ? 'pass' : 'fail')),
  );
}

function figure(svg: string, caption: string): string {
  return `<figure>\n${svg}\n<figcaption>${esc(caption)}</figcaption>\n</figure>`;
}

function charts(report: DrillReport): string {
  const { writeRate, replicationLag } = report.charts;
  return [
    figure(
      lineChart('Write rate', writeRate, report.timeline, report.durationS),
      'Write rate: writes acknowledged per second, by the array that acknowledged them.',
    ),
    figure(
      lineChart('Replication lag', replicationLag, report.timeline, report.durationS),
      replicationLag[0]?.name ? `Replication lag: ${replicationLag[0].name}.` : 'Replication lag.',
    ),
    figure(
      timelineChart('Failover timeline', report.steps, report.timeline, report.durationS),
      'Failover timeline: each step of the drill; dashed lines mark faults (red) and recoveries (green).',
    ),
  ].join('\n');
}

export function renderHtml(report: DrillReport): string {
  const verdict =
    report.verdict === 'pass' ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>';
  const list = (items: string[]) => `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drill ${esc(report.scenario)}: ${report.verdict.toUpperCase()}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Drill ${esc(report.scenario)}: ${verdict}</h1>
<p>${esc(report.title)}</p>
<p>Started ${esc(report.startedAt)}, took ${report.durationS} s. Lab <code>${esc(report.lab.dir)}</code>, Cinder host <code>${esc(report.lab.cinderHost)}</code>.
RPO objective ${esc(formatValue(report.objectives.rpoS, 's'))}, RTO objective ${esc(formatValue(report.objectives.rtoS, 's'))}.</p>
${report.error ? `<p class="error">The drill stopped early: ${esc(report.error)}</p>` : ''}
<h2>Objectives</h2>
${checksTable(report)}
<h2>Charts</h2>
${charts(report)}
<h2>Measurements</h2>
${table(['What', 'Value'], measurementRows(report.measurements))}
<h2>Steps</h2>
${table(
  ['#', 'Step', 'Start (s)', 'Took (s)', 'Result'],
  report.steps.map((s, i) => [
    String(i + 1),
    s.name,
    s.startS.toFixed(3),
    s.durationS.toFixed(3),
    `${s.ok ? 'ok' : 'FAILED'}${s.detail ? `: ${s.detail}` : ''}`,
  ]),
)}
<h2>Timeline</h2>
${table(
  ['t (s)', 'Kind', 'Event'],
  report.timeline.map((e) => [e.tS.toFixed(3), e.kind, e.label]),
)}
${report.notes.length > 0 ? `<h2>Notes</h2>\n${list(report.notes)}` : ''}
${report.cleanup.length > 0 ? `<h2>Cleanup</h2>\n${list(report.cleanup)}` : ''}
</body>
</html>
`;
}
