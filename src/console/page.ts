// GET /console's answer: the page with its style sheet and script inline, and the headers that
// pin it down. The Content-Security-Policy allows exactly that one script and style sheet (by
// hash) and requests to the console's own origin, so nothing can load from a CDN or elsewhere.

import { createHash } from 'node:crypto';
import * as charts from './browser/charts.js';
import * as dom from './browser/dom.js';
import * as failover from './browser/failover.js';
import * as main from './browser/main.js';
import * as render from './browser/render.js';
import { CHART_SAMPLES_MAX, CONSOLE_REFRESH_MS } from './limits.js';
import { CONSOLE_CSS } from './page-css.js';
import { consoleHtml } from './page-html.js';

export interface ConsolePage {
  html: string;
  headers: Record<string, string>;
}

/** The source text of every browser function (see browser/dom.ts for why they are all exported). */
function browserScript(config: main.ConsoleConfig): string {
  const functions = [dom, charts, render, failover, main].flatMap((module) =>
    Object.values(module).filter(
      (value): value is (...args: never[]) => unknown => typeof value === 'function',
    ),
  );
  const source = functions.map((fn) => fn.toString()).join('\n');
  return `'use strict';\n${source}\nconsoleMain(${JSON.stringify(config)});\n`;
}

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function consolePage(apiBase = '/console/api'): ConsolePage {
  const script = browserScript({ apiBase, refreshMs: CONSOLE_REFRESH_MS, chartSamples: CHART_SAMPLES_MAX });
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(CONSOLE_CSS)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html: consoleHtml(CONSOLE_CSS, script),
    headers: {
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    },
  };
}
