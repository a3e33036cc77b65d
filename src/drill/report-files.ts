// Writes a report as JSON, Markdown and HTML side by side: `<dir>/<scenario>-<stamp>.{json,md,html}`.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DrillReport } from './report.js';
import { renderHtml } from './report-html.js';
import { renderMarkdown } from './report-md.js';

export function reportJson(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Fills `report.files` with where each format went, then writes all three. */
export async function writeReports(report: DrillReport, dir: string, stamp: string): Promise<DrillReport> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const base = join(root, `${report.scenario}-${stamp}`);
  const files = { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
  const withFiles = { ...report, files };
  await writeFile(files.json, reportJson(withFiles));
  await writeFile(files.markdown, renderMarkdown(withFiles));
  await writeFile(files.html, renderHtml(withFiles));
  return withFiles;
}
