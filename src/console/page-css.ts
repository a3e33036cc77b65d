// The console page's style sheet, inlined into the page (no external fonts or files: the lab may
// run with no network). System fonts only.

export const CONSOLE_CSS = `
:root {
  color-scheme: light;
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --panel: #ffffff; --back: #f3f4f6;
  --ok: #047857; --ok-back: #d1fae5; --busy: #92400e; --busy-back: #fef3c7;
  --bad: #b91c1c; --bad-back: #fee2e2; --neutral-back: #e5e7eb; --accent: #f97316;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--back); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; flex-wrap: wrap; gap: 4px 24px; align-items: baseline;
  padding: 14px 24px; background: #1f2937; color: #f9fafb; border-bottom: 4px solid var(--accent);
}
header h1 { margin: 0; font-size: 20px; }
header #lab-meta { color: #d1d5db; }
header #refresh-status { margin-left: auto; font-variant-numeric: tabular-nums; }
header #refresh-status.bad { color: #fca5a5; }
main { padding: 16px 24px 32px; display: grid; gap: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
h2 { margin: 0 0 10px; font-size: 16px; }
h3 { margin: 0 0 2px; font-size: 15px; }
.sub { margin: 0 0 8px; color: var(--muted); font-size: 12px; word-break: break-all; }
.error { margin: 4px 0 8px; color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
meter { width: 90px; height: 12px; vertical-align: middle; }
.badge {
  display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600;
  background: var(--neutral-back); color: var(--ink);
}
.badge.ok { background: var(--ok-back); color: var(--ok); }
.badge.busy { background: var(--busy-back); color: var(--busy); }
.badge.bad { background: var(--bad-back); color: var(--bad); }
.pair { margin-right: 10px; white-space: nowrap; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.empty { color: var(--muted); font-style: italic; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.service-grid { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(280px, 1fr); gap: 16px; }
#failover-buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 10px; }
button {
  font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #9ca3af;
  background: #f9fafb; cursor: pointer;
}
button.danger { border-color: #c2410c; color: #9a3412; background: #fff7ed; }
button.primary { border-color: #1d4ed8; background: #2563eb; color: #fff; }
button:disabled { opacity: 0.45; cursor: not-allowed; }
.progress { min-height: 1.5em; padding: 6px 10px; border-radius: 6px; background: var(--back); }
.progress.ok { background: var(--ok-back); color: var(--ok); }
.progress.busy { background: var(--busy-back); color: var(--busy); }
.progress.bad { background: var(--bad-back); color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; display: block; background: #fafafa; border: 1px solid var(--line); }
svg .grid { stroke: #e5e7eb; stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 10px; text-anchor: end; }
svg .axis.start { text-anchor: start; }
svg .series { fill: none; stroke-width: 2; stroke-linejoin: round; }
.legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend-entry { margin-right: 12px; white-space: nowrap; }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; max-width: 440px; }
dialog::backdrop { background: rgb(17 24 39 / 45%); }
dialog label { display: block; margin: 10px 0 4px; font-weight: 600; }
dialog input { width: 100%; font: inherit; padding: 6px 8px; }
dialog .actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 14px; }
@media (max-width: 720px) { .service-grid { grid-template-columns: 1fr; } }
`;
