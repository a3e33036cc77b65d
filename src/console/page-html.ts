// The console page's static skeleton. The script fills every element with an id; the headings
// and table heads are fixed here so the page reads sensibly before the first refresh.

function table(id: string, heads: string[]): string {
  const cells = heads.map((head) => `<th scope="col">${head}</th>`).join('');
  return `<table id="${id}"><thead><tr>${cells}</tr></thead><tbody></tbody></table>`;
}

function chart(id: string, caption: string): string {
  return `<figure><figcaption>${caption}</figcaption>
<svg id="chart-${id}" class="chart" role="img" aria-label="${caption}" viewBox="0 0 480 170"></svg>
<div class="legend" id="legend-${id}"></div></figure>`;
}

/** Inline, so the browser does not ask the control server for /favicon.ico (a 404 in its console). */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E" +
  "%3Crect width='16' height='16' rx='3' fill='%23f97316'/%3E%3C/svg%3E";

const DIALOG = `<dialog id="failover-dialog" aria-labelledby="failover-title">
<form id="failover-form">
<h2 id="failover-title">Fail over</h2>
<p id="failover-explain"></p>
<label for="failover-password">Admin password</label>
<input id="failover-password" type="password" autocomplete="off" spellcheck="false" maxlength="1024" required>
<div class="actions">
<button type="button" id="failover-cancel">Cancel</button>
<button type="submit" id="failover-confirm" class="primary">Confirm</button>
</div>
</form>
</dialog>`;

export function consoleHtml(css: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem lab console</title>
<link rel="icon" href="${FAVICON}">
<style>${css}</style>
</head>
<body>
<header><h1>Tandem lab console</h1><span id="lab-meta"></span><span id="refresh-status" role="status">Loading...</span></header>
<main>
<section aria-labelledby="service-title"><div class="service-grid">
<div><h2 id="service-title">Volume service (Cinder)</h2><div id="service"></div></div>
<div><h2>Failover and failback</h2><div id="failover-buttons"></div>
<div id="failover-progress" class="progress neutral" role="status" aria-live="polite">No failover requested from this page.</div></div>
</div></section>
<section aria-labelledby="arrays-title"><h2 id="arrays-title">Arrays</h2><div id="arrays" class="cards"></div></section>
<section aria-labelledby="charts-title"><h2 id="charts-title">Live</h2><div class="charts">
${chart('iops', 'IOPS (reads + writes) per array')}
${chart('latency', 'Latency per array (µs per op)')}
${chart('lag', 'Replication lag per protection group (s)')}
</div></section>
<section aria-labelledby="pods-title"><h2 id="pods-title">Pods</h2>
${table('pods', ['Seen from', 'Pod', 'Members', 'Mediator', 'Promotion'])}</section>
<section aria-labelledby="pgroups-title"><h2 id="pgroups-title">Protection groups</h2>
${table('pgroups', ['Array', 'Group', 'Kind', 'Targets', 'Volumes', 'Lag', 'Last transfer', 'Newest transfer'])}</section>
<section aria-labelledby="volumes-title"><h2 id="volumes-title">Volumes (Cinder, all projects)</h2>
${table('volumes', ['Name', 'ID', 'Status', 'Replication', 'Type', 'Size', 'Host'])}</section>
<section aria-labelledby="links-title"><h2 id="links-title">Replication links</h2>
${table('links', ['From', 'To', 'Type', 'State'])}</section>
</main>
${DIALOG}
<script>${script}</script>
</body>
</html>
`;
}
