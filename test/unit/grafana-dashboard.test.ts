// dashboards/grafana-tandem.json: every panel queries the DS_PROMETHEUS variable, panels do not
// overlap, and every query is valid PromQL (promtool check rules, with each query as a rule).

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DASHBOARD_PATH, dashboardQueries, promtoolCheckRules } from '../helpers/metrics-scrape.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ datasource: { uid: string }; expr: string }>;
}

const GRID_COLUMNS = 24;
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, kept literally in the JSON
const DATASOURCE_UID = '${DS_PROMETHEUS}';

test('dashboard: a DS_PROMETHEUS datasource variable, used by every panel and query', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD_PATH, 'utf8'));
  const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'DS_PROMETHEUS');
  assert.equal(variable?.type, 'datasource');
  assert.equal(variable?.query, 'prometheus');
  const panels = (dashboard.panels as Panel[]).filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 15, `${panels.length} panels`);
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, DATASOURCE_UID, panel.title);
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    for (const target of panel.targets ?? [])
      assert.equal(target.datasource.uid, DATASOURCE_UID, panel.title);
  }
});

test('dashboard: panels stay inside the 24-column grid and never overlap', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD_PATH, 'utf8'));
  const boxes = (dashboard.panels as Panel[]).map((p) => ({ title: p.title, ...p.gridPos }));
  for (const box of boxes) assert.ok(box.x >= 0 && box.x + box.w <= GRID_COLUMNS, box.title);
  boxes.forEach((one, i) => {
    for (const other of boxes.slice(i + 1)) {
      const apart =
        one.x + one.w <= other.x ||
        other.x + other.w <= one.x ||
        one.y + one.h <= other.y ||
        other.y + other.h <= one.y;
      assert.ok(apart, `${one.title} overlaps ${other.title}`);
    }
  });
});

test('dashboard: every query is valid PromQL (promtool check rules)', async () => {
  const queries = await dashboardQueries();
  const dir = await mkdtemp(join(tmpdir(), 'tandem-dashboard-'));
  try {
    // A rules file is YAML; JSON is YAML, so each query becomes a recording rule without a YAML writer.
    const rules = queries.map((expr, i) => ({ record: `tandem:dashboard_query_${i}`, expr }));
    const path = join(dir, 'rules.yml');
    await writeFile(path, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    await promtoolCheckRules(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
