// Browser code: small DOM and formatting helpers for the console page.
//
// Every function in src/console/browser/ runs in the page, not in Node: page.ts puts their source
// text (Function.prototype.toString) into the page's one inline script, so the page needs no
// bundler and the code is still type-checked and linted. Hence each must be an *exported*
// top-level `function` declaration (page.ts collects the exports) that uses only DOM globals, its
// parameters and the other browser functions: module-level constants, or imports other than these
// functions and types, would not exist in the page. Text from the lab goes in with textContent,
// never as HTML.

/** An element with attributes and children (strings become text nodes). */
export function h(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string | null>
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/** An element of `id` that the page's static HTML is known to have. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the console page has no #${id}`);
  return element as T;
}

/** A badge whose class names the state's severity, so CSS colours it. */
export function badge(text: string): HTMLElement {
  const good = ['running', 'online', 'connected', 'up', 'enabled', 'available', 'promoted', 'replicating'];
  const busy = ['resyncing', 'failing-over', 'failed-over', 'creating', 'connecting', 'partially_connected'];
  const neutral = ['disabled', 'not-capable', 'stopped', 'replica', 'source', 'n/a', 'unknown'];
  const roles = ['primary', 'sync', 'async'];
  const tone = good.includes(text)
    ? 'ok'
    : busy.includes(text)
      ? 'busy'
      : neutral.includes(text) || roles.includes(text)
        ? 'neutral'
        : 'bad';
  return h('span', { class: `badge ${tone}` }, text);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatNumber(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(0)}k`;
  if (value >= 1_000) return `${(value / 1000).toFixed(1)}k`;
  return value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1);
}

export function formatLatency(usec: number): string {
  return usec >= 1000 ? `${(usec / 1000).toFixed(usec >= 10_000 ? 0 : 1)} ms` : `${usec.toFixed(0)} µs`;
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatClock(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toLocaleTimeString();
}

/** A table body with one row per item, or one row saying there is nothing. */
export function fillTable(id: string, rows: Array<Array<Node | string>>, empty: string): void {
  const table = byId<HTMLTableElement>(id);
  const columns = table.tHead?.rows[0]?.cells.length ?? 1;
  const body = table.tBodies[0] ?? table.createTBody();
  if (rows.length === 0) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: String(columns), class: 'empty' }, empty)));
    return;
  }
  body.replaceChildren(...rows.map((cells) => h('tr', {}, ...cells.map((c) => h('td', {}, c)))));
}
