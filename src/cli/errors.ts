// What `tandem` prints when a command fails: the error's own message, and for the failures an
// operator can fix (nothing listening, a port taken, a missing file, a refused token) what to do.
// Stack traces only with TANDEM_DEBUG=1.

import { PurityClientError } from '../cinder/purity-client/errors.js';
import { UsageError } from './array-target.js';

interface SystemError extends Error {
  code?: string;
  address?: string;
  port?: number;
  path?: string;
  syscall?: string;
}

function hintFor(error: unknown): string | null {
  if (error instanceof PurityClientError) {
    switch (error.code) {
      case 'PURITY_CONNECTION_FAILED':
        return `nothing answers at ${error.address}: is the array running? (\`tandem lab status\` for the lab, \`npm start\` starts it)`;
      case 'PURITY_TIMEOUT':
        return `${error.address} did not answer in time: the array may be stopped (SIGSTOP) or overloaded; see its log`;
      case 'PURITY_AUTHENTICATION_FAILED':
        return 'the array refused the API token: pass the token file of that array (its DATA_DIR/api-token) with --api-token-file';
      case 'PURITY_TLS_FAILED':
        return 'the TLS handshake failed: is that address an array REST port (https)?';
      default:
        return null;
    }
  }
  const e = error as SystemError;
  switch (e?.code) {
    case 'EADDRINUSE':
      return `${e.address ?? ''}${e.port ? `:${e.port}` : ''} is already in use: another Tandem or the lab may be running there (\`tandem lab status\`); stop it or choose another address`;
    case 'ECONNREFUSED':
      return `nothing listens at ${e.address ?? ''}${e.port ? `:${e.port}` : ''}: start the daemon first (\`npm start\` for the lab)`;
    case 'ENOENT':
      return e.path ? `no such file or directory: ${e.path}` : null;
    case 'EACCES':
    case 'EPERM':
      return e.path ? `permission denied: ${e.path}` : null;
    default:
      return null;
  }
}

/** The line(s) to print for a failed command, without the `tandem: ` prefix. */
export function explainError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (process.env.TANDEM_DEBUG) return error.stack ?? error.message;
  if (error instanceof UsageError) return error.message;
  const hint = hintFor(error);
  return hint && !error.message.includes(hint) ? `${error.message}\n  ${hint}` : error.message;
}
