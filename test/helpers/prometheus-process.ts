// A real Prometheus server (Debian `prometheus`) for a test: a scrape configuration in a temp dir,
// a free port, and instant queries over its HTTP API.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitFor } from './array-process.js';

const STARTUP_TIMEOUT_MS = 30_000;

export interface PrometheusProcess {
  url: string;
  /** Instant query: each series' labels and value. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

/** `scrapeConfigs` is the YAML of the scrape_configs list (JSON is YAML too). */
export async function startPrometheus(dir: string, scrapeConfigs: object[]): Promise<PrometheusProcess> {
  const port = await freePort();
  const config = { global: { scrape_interval: '1s', scrape_timeout: '1s' }, scrape_configs: scrapeConfigs };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config));
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let spawnError: NodeJS.ErrnoException | null = null;
  child.once('error', (error) => {
    spawnError = error;
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => spawnError !== null || (await fetch(`${url}/-/ready`).catch(() => null))?.status === 200,
    STARTUP_TIMEOUT_MS,
    () => `prometheus did not start:\n${output.slice(-2000)}`,
  );
  const failed = spawnError as NodeJS.ErrnoException | null;
  if (failed)
    throw failed.code === 'ENOENT'
      ? new Error('prometheus is not installed: apt-get install prometheus')
      : failed;
  return {
    url,
    query: async (expr) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
