// The grants file in the mediator's data directory. It is replaced atomically (temp file, fsync,
// rename, fsync of the directory), so after a crash it holds either the old table or the new one,
// never a mix: a restarted mediator knows every grant it ever answered.

import { MEDIATOR_GRANTS_FILE_MAX_BYTES } from '../constants.js';
import type { DiskDir } from '../platform/disk.js';
import { GrantsFileError } from './errors.js';
import { GrantTable, type GrantTableLimits } from './grants.js';

export const GRANTS_FILE_NAME = 'grants.json';
const GRANTS_TEMP_NAME = `${GRANTS_FILE_NAME}.tmp`;

/** An empty table when there is no grants file yet; GrantsFileError when it is unreadable or damaged. */
export async function loadGrantTable(
  dir: DiskDir,
  describePath: string,
  limits?: GrantTableLimits,
): Promise<GrantTable> {
  if (!(await dir.list()).includes(GRANTS_FILE_NAME)) return new GrantTable(limits);
  const file = await dir.open(GRANTS_FILE_NAME);
  let text: string;
  try {
    const sizeBytes = await file.sizeBytes();
    if (sizeBytes > MEDIATOR_GRANTS_FILE_MAX_BYTES) {
      throw new GrantsFileError(
        `is ${sizeBytes} bytes, more than any grants file (${MEDIATOR_GRANTS_FILE_MAX_BYTES})`,
        describePath,
      );
    }
    text = (await file.read(0, sizeBytes)).toString('utf8');
  } finally {
    await file.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GrantsFileError('is not valid JSON (damaged?)', describePath);
  }
  try {
    return GrantTable.fromJSON(value, limits);
  } catch (error) {
    if (error instanceof GrantsFileError) throw new GrantsFileError(error.reason, describePath);
    throw error;
  }
}

/** Returns once the table is durable. */
export async function saveGrantTable(dir: DiskDir, table: GrantTable): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(table.toJSON())}\n`, 'utf8');
  // A temp file left by a crash may be longer than this one: start from nothing.
  await dir.remove(GRANTS_TEMP_NAME);
  const file = await dir.open(GRANTS_TEMP_NAME);
  try {
    await file.write([bytes], 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await dir.rename(GRANTS_TEMP_NAME, GRANTS_FILE_NAME);
  await dir.sync();
}
