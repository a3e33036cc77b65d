// Browser code (see dom.ts for the rules): the live charts. Each keeps the last samples of a few
// named series and draws them as inline SVG paths, so the page needs no chart library or CDN.

import { byId, formatNumber, h } from './dom.js';

export interface Chart {
  id: string;
  unit: string;
  maxSamples: number;
  times: number[];
  series: Record<string, Array<number | null>>;
}

export function newChart(id: string, unit: string, maxSamples: number): Chart {
  return { id, unit, maxSamples, times: [], series: {} };
}

/** Appends one sample per series; a series seen for the first time starts with gaps. */
export function recordSample(chart: Chart, atMs: number, values: Record<string, number | null>): void {
  chart.times.push(atMs);
  for (const name of Object.keys(values)) chart.series[name] ??= chart.times.slice(0, -1).map(() => null);
  for (const [name, samples] of Object.entries(chart.series)) samples.push(values[name] ?? null);
  if (chart.times.length > chart.maxSamples) {
    chart.times.shift();
    for (const samples of Object.values(chart.series)) samples.shift();
  }
  for (const [name, samples] of Object.entries(chart.series))
    if (samples.every((v) => v === null)) delete chart.series[name];
}

export function svgElement(tag: string, attributes: Record<string, string>, text?: string): SVGElement {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/** 1, 2 or 5 times a power of ten, at or above `value`: round numbers on the axis. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

export function seriesColor(index: number): string {
  const palette = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];
  return palette[index % palette.length] ?? '#4b5563';
}

/** The SVG path of one series: lines between samples, broken where a sample is missing. */
export function seriesPath(
  samples: Array<number | null>,
  x: (i: number) => number,
  y: (v: number) => number,
) {
  let path = '';
  let pen = false;
  samples.forEach((value, i) => {
    if (value === null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(value).toFixed(1)} `;
    pen = true;
  });
  return path.trim();
}

export function drawChart(chart: Chart): void {
  const width = 480;
  const height = 170;
  const left = 48;
  const bottom = 20;
  const top = 8;
  const names = Object.keys(chart.series);
  const values = names.flatMap((n) => chart.series[n] ?? []).filter((v): v is number => v !== null);
  const yMax = niceCeiling(Math.max(0, ...values));
  const slots = Math.max(chart.maxSamples - 1, 1);
  const x = (i: number) => left + ((width - left - 4) * (i + chart.maxSamples - chart.times.length)) / slots;
  const y = (v: number) => top + (height - top - bottom) * (1 - v / yMax);
  const parts: SVGElement[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const at = y(yMax * fraction);
    parts.push(
      svgElement('line', {
        x1: String(left),
        x2: String(width - 4),
        y1: String(at),
        y2: String(at),
        class: 'grid',
      }),
    );
    parts.push(
      svgElement(
        'text',
        { x: String(left - 6), y: String(at + 4), class: 'axis' },
        formatNumber(yMax * fraction),
      ),
    );
  }
  parts.push(
    svgElement(
      'text',
      { x: String(left), y: String(height - 4), class: 'axis start' },
      `${chart.unit}, last ${chart.times.length} samples`,
    ),
  );
  names.forEach((name, index) => {
    const d = seriesPath(chart.series[name] ?? [], x, y);
    if (d) parts.push(svgElement('path', { d, stroke: seriesColor(index), class: 'series' }));
  });
  const svg = byId(`chart-${chart.id}`);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren(...parts);
  drawLegend(chart, names);
}

export function drawLegend(chart: Chart, names: string[]): void {
  const entries = names.map((name, index) => {
    const samples = chart.series[name] ?? [];
    const last = samples[samples.length - 1] ?? null;
    const swatch = svgElement('svg', {
      width: '10',
      height: '10',
      viewBox: '0 0 10 10',
      'aria-hidden': 'true',
    });
    swatch.append(svgElement('rect', { width: '10', height: '10', fill: seriesColor(index) }));
    return h(
      'span',
      { class: 'legend-entry' },
      swatch,
      ` ${name}: ${last === null ? '-' : formatNumber(last)}`,
    );
  });
  byId(`legend-${chart.id}`).replaceChildren(
    ...(entries.length > 0 ? entries : [h('span', {}, 'no data yet')]),
  );
}
