// Inline SVG charts for the HTML report (no scripts, no CDN: the page must open offline and be
// archivable): line charts of series over the drill's time, with fault and recovery markers, and
// the failover timeline (steps as bars, events as markers).

import type { Series } from './measurements.js';
import type { StepRecord, TimelineEvent } from './report.js';

const WIDTH_PX = 760;
const LINE_HEIGHT_PX = 240;
const MARGIN = { left: 56, right: 16, top: 16, bottom: 36 };
const STEP_ROW_PX = 18;
const TIMELINE_LABEL_PX = 300;
const PALETTE = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777'];
const EVENT_COLORS: Record<string, string> = { fault: '#dc2626', recovery: '#16a34a' };
const Y_TICKS = 5;
const X_TICKS = 5;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Axis ends, per power of ten: round enough to read, close enough not to waste the plot. */
const NICE_STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest NICE_STEPS x 10^n at or above `value` (so axes end on round numbers). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of NICE_STEPS) if (step * magnitude >= value * (1 - 1e-9)) return step * magnitude;
  return 10 * magnitude;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function axes(width: number, height: number, maxX: number, maxY: number, yUnit: string): string[] {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const out = [
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#ccc"/>`,
  ];
  for (let i = 0; i <= Y_TICKS; i++) {
    const y = MARGIN.top + plotH - (plotH * i) / Y_TICKS;
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((maxY * i) / Y_TICKS)}</text>`,
    );
  }
  for (let i = 0; i <= X_TICKS; i++) {
    const x = MARGIN.left + (plotW * i) / X_TICKS;
    out.push(
      `<text x="${x}" y="${height - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${fmt((maxX * i) / X_TICKS)}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 4}" text-anchor="middle" font-size="11">seconds since the drill started</text>`,
    `<text x="12" y="${MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 12 ${MARGIN.top + plotH / 2})" text-anchor="middle">${escapeXml(yUnit)}</text>`,
  );
  return out;
}

function markers(events: readonly TimelineEvent[], toX: (t: number) => number, top: number, bottom: number) {
  return events
    .filter((e) => e.kind in EVENT_COLORS)
    .map((e) => {
      const x = toX(e.tS).toFixed(1);
      return `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="${EVENT_COLORS[e.kind]}" stroke-dasharray="4 3"><title>${escapeXml(`${e.tS} s: ${e.label}`)}</title></line>`;
    });
}

/** Several series on one time axis, with the timeline's faults and recoveries as dashed lines. */
export function lineChart(
  title: string,
  series: readonly Series[],
  events: readonly TimelineEvent[],
  durationS: number,
) {
  const maxX = niceCeiling(Math.max(durationS, ...series.flatMap((s) => s.points.map((p) => p.tS))));
  const maxY = niceCeiling(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value))));
  const plotW = WIDTH_PX - MARGIN.left - MARGIN.right;
  const plotH = LINE_HEIGHT_PX - MARGIN.top - MARGIN.bottom;
  const toX = (t: number) => MARGIN.left + (plotW * t) / maxX;
  const toY = (v: number) => MARGIN.top + plotH - (plotH * v) / maxY;
  const unit = series[0]?.unit ?? '';
  const out = axes(WIDTH_PX, LINE_HEIGHT_PX, maxX, maxY, unit);
  out.push(...markers(events, toX, MARGIN.top, MARGIN.top + plotH));
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = s.points.map((p) => `${toX(p.tS).toFixed(1)},${toY(p.value).toFixed(1)}`).join(' ');
    if (points) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"/>`);
    out.push(
      `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 14 + i * 14}" font-size="11" fill="${color}">${escapeXml(s.name)}</text>`,
    );
  });
  if (series.every((s) => s.points.length === 0))
    out.push(
      `<text x="${WIDTH_PX / 2}" y="${LINE_HEIGHT_PX / 2}" text-anchor="middle" font-size="12">no samples</text>`,
    );
  return svg(title, WIDTH_PX, LINE_HEIGHT_PX, out);
}

/** One bar per step over the drill's time, with fault and recovery markers across all rows. */
export function timelineChart(
  title: string,
  steps: readonly StepRecord[],
  events: readonly TimelineEvent[],
  durationS: number,
) {
  const height = MARGIN.top + MARGIN.bottom + Math.max(1, steps.length) * STEP_ROW_PX;
  const left = TIMELINE_LABEL_PX;
  const plotW = WIDTH_PX - left - MARGIN.right;
  const maxX = niceCeiling(durationS);
  const toX = (t: number) => left + (plotW * t) / maxX;
  const bottom = height - MARGIN.bottom;
  const out: string[] = [
    `<rect x="${left}" y="${MARGIN.top}" width="${plotW}" height="${bottom - MARGIN.top}" fill="#fff" stroke="#ccc"/>`,
  ];
  steps.forEach((s, i) => {
    const y = MARGIN.top + i * STEP_ROW_PX;
    const width = Math.max(2, toX(s.startS + s.durationS) - toX(s.startS));
    const label = s.name.length > 46 ? `${s.name.slice(0, 45)}…` : s.name;
    out.push(
      `<text x="${left - 6}" y="${y + 13}" text-anchor="end" font-size="11">${escapeXml(label)}</text>`,
      `<rect x="${toX(s.startS).toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${STEP_ROW_PX - 6}" fill="${s.ok ? '#93c5fd' : '#fca5a5'}"><title>${escapeXml(`${s.name}: ${s.durationS} s`)}</title></rect>`,
    );
  });
  out.push(...markers(events, toX, MARGIN.top, bottom));
  for (let i = 0; i <= X_TICKS; i++) {
    const x = left + (plotW * i) / X_TICKS;
    out.push(
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle" font-size="11">${fmt((maxX * i) / X_TICKS)}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" font-size="11">seconds since the drill started (red: fault, green: recovery)</text>`,
  );
  return svg(title, WIDTH_PX, height, out);
}

function svg(title: string, width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    ...body,
    '</svg>',
  ].join('\n');
}
