// Which array a command talks to: a name of the lab's (site-a, resolved through DIR/lab.json) or
// the URL of any array's REST API with its API token file, as an operator of a real array has.

import { join } from 'node:path';
import { ArrayApi } from '../drill/array-api.js';
import { readDescriptor } from '../lab/descriptor.js';
import { LAB_DIR_DEFAULT } from '../lab/layout.js';

export interface ArrayTargetFlags {
  array: string;
  labDir?: string;
  apiTokenFile?: string;
}

export interface ArrayTarget {
  name: string;
  restUrl: string;
  /** host:port of the array's NBD server, when the lab knows it. */
  nbd: string | null;
  api: ArrayApi;
}

/** A mistake of the operator's: the message says what to do; no stack trace is worth showing. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const ARRAY_OPTION_HELP =
  "the array: a name of the lab's (site-a, site-b, site-c) or its REST URL (https://HOST:PORT, with --api-token-file)";

export async function resolveArray(flags: ArrayTargetFlags): Promise<ArrayTarget> {
  if (/^https?:\/\//.test(flags.array)) {
    if (!flags.apiTokenFile)
      throw new UsageError(
        `--array ${flags.array} needs --api-token-file FILE (the array's DATA_DIR/api-token, written at its first start)`,
      );
    const url = new URL(flags.array);
    return {
      name: url.host,
      restUrl: url.origin,
      nbd: null,
      api: new ArrayApi(url.host, url.host, flags.apiTokenFile),
    };
  }
  const dir = flags.labDir ?? LAB_DIR_DEFAULT;
  const lab = await readDescriptor(join(dir, 'lab.json'));
  if (!lab)
    throw new UsageError(
      `no lab in ${dir} (no lab.json): start one with \`npm start\`, pass --lab-dir DIR, or give --array https://HOST:PORT --api-token-file FILE`,
    );
  const entry = lab.arrays.find((a) => a.name === flags.array);
  if (!entry)
    throw new UsageError(
      `the lab in ${dir} has no array "${flags.array}"; it has ${lab.arrays.map((a) => a.name).join(', ')}`,
    );
  const apiTokenFile = flags.apiTokenFile ?? entry.apiTokenFile;
  return {
    name: entry.name,
    restUrl: entry.restUrl,
    nbd: entry.nbd,
    api: new ArrayApi(entry.name, new URL(entry.restUrl).host, apiTokenFile),
  };
}
