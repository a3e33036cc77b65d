// The web console against a real lab: `tandem lab up` in a temp dir on a free port range, the
// console's routes served by the test's own fastify app (as the lab's control server will serve
// them), its state and failover API checked directly, then the page driven end to end in
// headless Chromium: a TriSync volume made through the Cinder API shows up with its pod, its
// protection groups' lag and the writes going to it, and the failover button with the admin
// password moves the volume service to pure-dr.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { consoleRoutes } from '../../src/console/index.js';
import { pgroupViews } from '../../src/console/pgroup-view.js';
import type { ConsoleState } from '../../src/console/state-types.js';
import type { LabDescriptor } from '../../src/lab/descriptor.js';
import { BASE_PORT_SPAN } from '../../src/lab/layout.js';
import { makeTempDir, waitFor } from '../helpers/array-process.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { arrayVolumeName, createLabVolume, getWithHost, replicateToDrNow } from '../helpers/console-lab.js';
import { freePortRange, killLab, type LabProcess, startLab } from '../helpers/lab-process.js';
import { openLabVolume, writeLoad } from '../helpers/nbd-load.js';

const FAILOVER_TIMEOUT_MS = 45_000;
const RENDER_TIMEOUT_MS = 15_000;
const LAB_STOP_TIMEOUT_MS = 30_000;
const README_SCREENSHOT = resolve(import.meta.dirname, '../../../docs/console.png');
/** Set to 1 to refresh docs/console.png from this run (left alone otherwise: a tracked file). */
const UPDATE_SCREENSHOT = process.env.TANDEM_UPDATE_SCREENSHOT === '1';
const README_CHART_WAIT_MS = 30_000;

let work: { path: string; remove: () => Promise<void> };
let dir: string;
let lab: LabProcess | null = null;
let app: FastifyInstance | null = null;
let consoleUrl: string;
let secrets: string[] = [];

const descriptor = (): LabDescriptor => JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'));
const siteA = () => descriptor().arrays[0]!;

async function consoleCall(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${consoleUrl}${path}`, { method, ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function consoleState(): Promise<ConsoleState> {
  const res = await consoleCall('GET', '/console/api/state');
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as ConsoleState;
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `no token or password in ${where}`);
}

before(async () => {
  work = await makeTempDir('tandem-console-');
  dir = join(work.path, 'lab');
  const basePort = await freePortRange(BASE_PORT_SPAN);
  lab = await startLab(['--dir', dir, '--base-port', String(basePort)]);
  const files = [...descriptor().arrays.map((a) => a.apiTokenFile), descriptor().admin.passwordFile];
  secrets = await Promise.all(files.map(async (file) => (await readFile(file, 'utf8')).trim()));
  app = Fastify({ logger: false });
  consoleRoutes(app, { descriptor });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  consoleUrl = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  await app?.close();
  if (lab && lab.child.exitCode === null) {
    lab.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([lab.exited, new Promise((r) => (timer = setTimeout(r, LAB_STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  await killLab(dir, lab?.child);
  await work?.remove();
});

test('console: lag is now minus the newest completed snapshot; a group with no target has none', () => {
  const ref = (name: string) => ({ id: name, name });
  const group = {
    name: 'pg',
    destroyed: false,
    is_local: true,
    source: ref('site-a'),
    pod: ref(''),
    volume_count: 1,
  };
  const snapshot = (n: number, created: number) => ({
    name: `pg.${n}`,
    created,
    destroyed: false,
    source: ref('pg'),
  });
  const transfer = (n: number, progress: number, completed: number | null) => ({
    name: `pg.${n}`,
    progress,
    completed,
  });
  const listing = {
    pgroups: [group, { ...group, name: 'lonely' }],
    targets: [{ group: ref('pg'), member: ref('site-c'), allowed: true, status: 'replicating' }],
    snapshots: [snapshot(1, 1_000), snapshot(2, 5_000), snapshot(3, 9_000)],
    transfers: [transfer(1, 1, 2_000), transfer(2, 1, 7_000), transfer(3, 0.5, null)],
  };
  // biome-ignore lint/suspicious/noExplicitAny: a partial REST listing is enough for the lag rule
  const [pg, lonely] = pgroupViews(listing as any, 20_000);
  assert.equal(pg?.lagSeconds, 15, 'snapshot 2 (created at 5 s) is the newest one the target has');
  assert.equal(pg?.lastTransferAtMs, 7_000);
  assert.equal(pg?.transferProgress, 0.5, 'snapshot 3 is on its way');
  assert.equal(lonely?.lagSeconds, null);
});

test('console: the page is one self-contained document with a strict CSP and no secret', async () => {
  const page = await consoleCall('GET', '/console');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-[^']+'(;|$)/, 'only the inline script, by hash');
  assert.doesNotMatch(page.text, /(src|href)="(https?:)?\/\/|@import|url\(/, 'nothing loaded from elsewhere');
  assert.doesNotMatch(page.text, /<script [^>]*src=/, 'the script is inline');
  assertNoSecret(page.text, 'the page');
});

test('console: state shows three arrays, the volume service and its failover targets, without secrets', async () => {
  const state = await consoleState();
  assert.deepEqual(
    state.arrays.map((a) => [a.name, a.role, a.daemonState, a.error]),
    [
      ['site-a', 'primary', 'running', null],
      ['site-b', 'sync', 'running', null],
      ['site-c', 'async', 'running', null],
    ],
  );
  assert.ok((state.arrays[0]?.space?.capacityBytes ?? 0) > 0, 'capacity read');
  assert.ok(state.arrays[0]?.perf, 'performance read');
  assert.equal(state.cinder.error, null);
  assert.equal(state.cinder.service?.replicationStatus, 'enabled');
  assert.deepEqual(state.cinder.targets, [
    { backendId: 'pure-sync', type: 'sync', array: 'site-b' },
    { backendId: 'pure-dr', type: 'async', array: 'site-c' },
  ]);
  assertNoSecret(JSON.stringify(state), 'the state');
});

test('console: failover refuses a wrong password, an unknown backend, another origin or host, and non-JSON', async () => {
  const wrong = 'not-the-admin-password-4711';
  const json = { 'content-type': 'application/json' };
  const post = (body: unknown, headers: Record<string, string> = json) =>
    consoleCall('POST', '/console/api/failover', { body: JSON.stringify(body), headers });
  const refused = await post({ password: wrong, backendId: 'pure-dr' });
  assert.equal(refused.status, 401, refused.text);
  assert.ok(!refused.text.includes(wrong), 'the answer does not echo the password');
  assert.equal((await post({ password: wrong, backendId: 'elsewhere' })).status, 400);
  assert.equal((await post({ backendId: 'pure-dr' })).status, 400);
  const origin = { ...json, origin: 'http://attacker.example' };
  assert.equal((await post({ password: wrong, backendId: 'pure-dr' }, origin)).status, 403);
  const rebound = `attacker.example:${new URL(consoleUrl).port}`;
  assert.equal(await getWithHost(consoleUrl, '/console/api/state', rebound), 403, 'DNS rebinding');
  assert.equal(await getWithHost(consoleUrl, '/console', rebound), 403);
  assert.equal(
    (await post({ password: wrong, backendId: 'pure-dr' }, { 'content-type': 'text/plain' })).status,
    415,
  );
  assert.equal((await consoleState()).cinder.service?.replicationStatus, 'enabled', 'nothing changed');
  for (const file of await readdir(join(dir, 'logs')))
    assert.ok(!(await readFile(join(dir, 'logs', file), 'utf8')).includes(wrong), `no password in ${file}`);
});

/** The page shows the arrays, the pod, the volume, the group's lag and site-a's writes. */
async function assertRendered(page: Page, groupName: string): Promise<void> {
  const rendered = { timeout: RENDER_TIMEOUT_MS };
  await page.locator('[data-array]').nth(2).waitFor(rendered);
  assert.deepEqual(await page.locator('[data-array] h3').allTextContents(), [
    'site-a primary running',
    'site-b sync running',
    'site-c async running',
  ]);
  const podRow = page.locator('#pods tbody tr', { hasText: 'cinder-pod' }).first();
  await podRow.locator('[data-pod-member="site-b"]', { hasText: 'online' }).waitFor(rendered);
  await page.locator('#volumes tbody tr', { hasText: 'console-db' }).waitFor(rendered);
  const lagCell = page.locator('#pgroups tbody tr', { hasText: groupName }).first().locator('td').nth(5);
  assert.match((await lagCell.textContent()) ?? '', /^\d+(\.\d)? (s|min)$/, 'the lag is shown');
  await page.locator('#legend-iops', { hasText: /site-a: [1-9]/ }).waitFor(rendered);
}

/** Clicks the failover button, types the password and waits until the page says how it ended. */
async function failoverInPage(page: Page, backendId: string, password: string): Promise<string> {
  const progress = page.locator('#failover-progress');
  const before = await progress.textContent();
  await page.locator(`button[data-backend="${backendId}"]`).click();
  await page.locator('#failover-password').fill(password);
  await page.locator('#failover-confirm').click();
  let said = '';
  await waitFor(
    async () => {
      said = (await progress.textContent()) ?? '';
      return said !== before && /^Done|failed|refused|without/.test(said);
    },
    FAILOVER_TIMEOUT_MS,
    () => `the failover never ended; the page says: ${said}`,
  );
  return said;
}

/** Into a directory of its own that the run keeps (one PNG), so the printed path can be opened. */
async function saveScreenshot(page: Page, t: TestContext): Promise<void> {
  // For the README, let the charts fill a little first.
  if (UPDATE_SCREENSHOT) await page.waitForTimeout(README_CHART_WAIT_MS);
  const screenshot = join(await mkdtemp(join(tmpdir(), 'tandem-console-shot-')), 'console.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);
  if (UPDATE_SCREENSHOT) {
    await copyFile(screenshot, README_SCREENSHOT);
    t.diagnostic(`copied to ${README_SCREENSHOT}`);
  }
}

test('console in Chromium: a TriSync volume, its pod, lag and IOPS render; failover to pure-dr with the admin password -> failed-over, failback -> enabled', async (t) => {
  assert.equal(await chromiumMissing(), null);
  const volumeId = await createLabVolume(descriptor(), 'console-db', 'TriSync');
  const groupName = await replicateToDrNow(siteA(), consoleState);
  const disk = await openLabVolume(siteA(), await arrayVolumeName(siteA(), volumeId), 'console-host');
  const load = writeLoad(disk);
  const profile = join(work.path, 'chromium-profile');
  await mkdir(profile);
  let browser: BrowserContext | null = null;
  let writes = 0;
  try {
    browser = await launchChromium(profile);
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${consoleUrl}/console`);
    await assertRendered(page, groupName);

    const password = (await readFile(descriptor().admin.passwordFile, 'utf8')).trim();
    assert.match(await failoverInPage(page, 'pure-dr', password), /^Done: failover to pure-dr finished/);
    await page
      .locator('#replication-status', { hasText: 'failed-over' })
      .waitFor({ timeout: RENDER_TIMEOUT_MS });
    assert.equal(await page.locator('#active-backend').textContent(), 'pure-dr');
    assert.equal(await page.locator('#failover-password').inputValue(), '', 'the field was emptied');
    assert.ok(!(await page.content()).includes(password), 'the password is nowhere in the page');
    assert.deepEqual(problems, []);
    const state = await consoleState();
    assert.equal(state.cinder.service?.replicationStatus, 'failed-over');
    assert.equal(state.cinder.volumes.find((v) => v.name === 'console-db')?.replicationStatus, 'failed-over');

    await saveScreenshot(page, t);

    // Async replication runs one way: Cinder's failback marks the TriSync volume error, as it does.
    assert.match(
      await failoverInPage(page, 'default', password),
      /^Done: failback to the primary array finished/,
    );
    await page.locator('#replication-status', { hasText: 'enabled' }).waitFor({ timeout: RENDER_TIMEOUT_MS });
    assert.deepEqual(problems, []);
  } finally {
    writes = await load.stop().catch(() => 0);
    disk.close();
    await browser?.close();
  }
  assert.ok(writes > 0, 'site-a took writes');
});
