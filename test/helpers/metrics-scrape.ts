// Scraping /metrics as Prometheus does, reading samples out of the exposition, and checking it
// with the two reference parsers: promtool (Debian `prometheus`; it lints the 0.0.4 text format)
// and prometheus_client's strict OpenMetrics parser (Debian `python3-prometheus-client`). A
// missing tool fails with the apt-get line that installs it, never a silent skip.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { resolve } from 'node:path';

export const ACCEPT_OPENMETRICS = 'application/openmetrics-text;version=1.0.0';
export const ACCEPT_TEXT = 'text/plain;version=0.0.4';

export interface Scrape {
  status: number;
  contentType: string;
  wwwAuthenticate: string | undefined;
  text: string;
}

/** GET /metrics on an array (self-signed HTTPS). */
export function scrapeArray(port: number, headers: Record<string, string>): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'GET', path: '/metrics', headers, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            wwwAuthenticate: res.headers['www-authenticate'],
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of an exposition (comments skipped), with label values unescaped. */
export function parseSamples(text: string): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL_PAIR))
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3]);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(samples: ParsedSample[], name: string, labels: Record<string, string> = {}) {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

function runWithInput(file: string, args: string[], input: string, pkg: string) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`${file} is not installed: apt-get install ${pkg}`) : error),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(input);
  });
}

/** `promtool check metrics` (stdin): exit 0 and nothing to say. */
export async function promtoolCheck(text: string): Promise<void> {
  const { code, output } = await runWithInput('promtool', ['check', 'metrics'], text, 'prometheus');
  assert.equal(code, 0, `promtool check metrics:\n${output}`);
}

/** `promtool check rules FILE`. */
export async function promtoolCheckRules(path: string): Promise<void> {
  const { code, output } = await runWithInput('promtool', ['check', 'rules', path], '', 'prometheus');
  assert.equal(code, 0, `promtool check rules:\n${output}`);
}

/** From dist/test/helpers to the repository's dashboards/ (JSON is not compiled). */
export const DASHBOARD_PATH = resolve(import.meta.dirname, '../../../dashboards/grafana-tandem.json');

/** Every panel query of the dashboard, with the $array variable at "all". */
export async function dashboardQueries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(DASHBOARD_PATH, 'utf8'));
  const queries: string[] = [];
  for (const panel of dashboard.panels as Array<{ targets?: Array<{ expr: string }> }>)
    for (const target of panel.targets ?? []) queries.push(target.expr.replaceAll('$array', '.*'));
  return queries;
}

/** The metric names the dashboard's queries use that start with `prefix` (histogram series as written). */
export async function dashboardMetricNames(prefix: string): Promise<string[]> {
  const names = new Set<string>();
  for (const query of await dashboardQueries())
    for (const [name] of query.matchAll(new RegExp(`\\b${prefix}[a-zA-Z0-9_]*`, 'g'))) names.add(name);
  return [...names].sort();
}

// Debian's python3-prometheus-client is installed for the system interpreter, which a pyenv or
// venv python3 earlier in PATH would not see.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const OPENMETRICS_PARSE = [
  'import sys',
  'try:',
  '    from prometheus_client.openmetrics.parser import text_string_to_metric_families',
  'except ImportError:',
  '    sys.exit("prometheus_client is not installed: apt-get install python3-prometheus-client")',
  'families = list(text_string_to_metric_families(sys.stdin.read()))',
  'print(len(families))',
].join('\n');

/** Parses the exposition with prometheus_client's OpenMetrics parser; returns the family count. */
export async function openMetricsCheck(text: string): Promise<number> {
  const { code, output } = await runWithInput(
    PYTHON,
    ['-c', OPENMETRICS_PARSE],
    text,
    'python3 python3-prometheus-client',
  );
  assert.equal(code, 0, `OpenMetrics parser:\n${output}`);
  return Number(output.trim());
}
