// Debian's real `openstack` (OSC 6.0) and `cinder` (cinderclient 9.1) run as child processes on
// Debian's own /usr/bin/python3 (the python3 first on PATH may lack their packages). The
// environment is built from nothing but what the CLIs need, so no OS_* variable or clouds.yaml of
// the machine running the tests can leak in.

import { execFile } from 'node:child_process';

/** The interpreter the Debian packages are installed for. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const CLI_PATHS = { openstack: '/usr/bin/openstack', cinder: '/usr/bin/cinder' } as const;
/** One CLI run takes about 1 s; a hung one is cut off well before the test runner's own timeout. */
export const CLI_TIMEOUT_MS = 60_000;
const CLI_OUTPUT_MAX_BYTES = 4 * 1024 * 1024;

export type CliName = keyof typeof CLI_PATHS;

export interface CliUser {
  name: string;
  password: string;
  project: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of openstack-api.md §4, with `home` as HOME so caches land in a temp dir. */
export function cliEnvironment(authUrl: string, user: CliUser, home: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    OS_AUTH_URL: authUrl,
    OS_USERNAME: user.name,
    OS_PASSWORD: user.password,
    OS_PROJECT_NAME: user.project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
  };
}

/** Runs a CLI; resolves with exit code and output (a non-zero exit is not a throw). */
export function runCli(
  tool: CliName,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const options = { env, cwd, timeout: CLI_TIMEOUT_MS, maxBuffer: CLI_OUTPUT_MAX_BYTES };
    execFile(DEBIAN_PYTHON, [CLI_PATHS[tool], ...args], options, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            `${DEBIAN_PYTHON} or ${CLI_PATHS[tool]} is missing: apt-get install python3-openstackclient python3-cinderclient`,
          ),
        );
        return;
      }
      if (error?.killed) {
        reject(new Error(`${tool} ${args.join(' ')} timed out after ${CLI_TIMEOUT_MS} ms\n${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Every prettytable in `text` (cinder prints several for attachment-show and get-pools --detail):
 * each a list of rows keyed by its header. A row whose first cell is empty continues the row above
 * (multi-line values). A table is border, header, border, rows, border.
 */
export function parseTables(text: string): Array<Array<Record<string, string>>> {
  const tables: Array<Array<Record<string, string>>> = [];
  let names: string[] | null = null;
  let borders = 0;
  let rows: Array<Record<string, string>> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('+')) {
      borders++;
      if (borders === 3) {
        tables.push(rows);
        [names, borders, rows] = [null, 0, []];
      }
    } else if (line.startsWith('|') && borders === 1) {
      names = cellsOf(line);
    } else if (line.startsWith('|') && borders === 2 && names) {
      addRow(rows, names, cellsOf(line));
    }
  }
  return tables;
}

/** The rows of the first table. */
export function parseTable(text: string): Array<Record<string, string>> {
  return parseTables(text)[0] ?? [];
}

function cellsOf(line: string): string[] {
  return line
    .slice(1, line.lastIndexOf('|'))
    .split('|')
    .map((cell) => cell.trim());
}

function addRow(rows: Array<Record<string, string>>, names: string[], values: string[]): void {
  const previous = rows[rows.length - 1];
  if (values[0] === '' && previous) {
    names.forEach((name, i) => {
      if (values[i]) previous[name] = `${previous[name]}\n${values[i]}`;
    });
    return;
  }
  rows.push(Object.fromEntries(names.map((name, i) => [name, values[i] ?? ''])));
}

/** A `Property | Value` table's rows (cinder show, quota-show) as one object. */
export function parsePropertyTable(rows: Array<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const row of rows) {
    const [keyName, valueName] = Object.keys(row);
    if (keyName !== undefined && valueName !== undefined) result[row[keyName]!] = row[valueName]!;
  }
  return result;
}
