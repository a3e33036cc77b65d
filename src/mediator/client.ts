// What an array uses to ask the mediator for a pod on a split. It never throws for the network or
// for a bad answer: a mediator that cannot be reached, is too slow, refuses or answers nonsense is
// "unreachable", with the reason, and the pod's state machine decides without it.

import { MEDIATOR_CLIENT_ANSWER_MAX_BYTES, MEDIATOR_CLIENT_TIMEOUT_MS } from '../constants.js';
import { NO_HOLDER } from './grants.js';
import { idProblem, isPlainObject } from './validate.js';

export type ClaimAnswer = { granted: boolean; holder: string } | { unreachable: true; reason: string };

export interface MediatorClientOptions {
  /** Longest wait for one answer, connecting included. */
  timeoutMs?: number;
}

interface Answer {
  status: number;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
}

export class MediatorClient {
  private readonly base: URL;
  private readonly timeoutMs: number;

  /** Throws for a base URL that is not http(s) or a timeout that is not a positive number (configuration bugs). */
  constructor(baseUrl: string, options: MediatorClientOptions = {}) {
    const base = new URL(baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`mediator URL must be http:// or https://, got "${base.protocol}"`);
    }
    // Paths below resolve inside the base path (a mediator behind a proxy prefix).
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? MEDIATOR_CLIENT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs))) {
      throw new RangeError(`timeoutMs must be a positive number, got ${this.timeoutMs}`);
    }
  }

  /** Whether the mediator answers its health check in time; false on any error. */
  async health(): Promise<boolean> {
    try {
      const answer = await this.request('GET', 'health');
      return answer.status === 200 && isPlainObject(answer.body) && answer.body.status === 'ok';
    } catch {
      return false;
    }
  }

  async claim(podId: string, epoch: number, arrayId: string): Promise<ClaimAnswer> {
    let answer: Answer;
    try {
      answer = await this.request('POST', 'claims', { pod: podId, epoch, array: arrayId });
    } catch (error) {
      return { unreachable: true, reason: this.describeFailure(error) };
    }
    const body = answer.body;
    if (answer.status !== 200) {
      const said =
        isPlainObject(body) && typeof body.error === 'string' ? `: ${body.error.slice(0, 200)}` : '';
      return { unreachable: true, reason: `the mediator answered HTTP ${answer.status}${said}` };
    }
    if (
      !isPlainObject(body) ||
      typeof body.granted !== 'boolean' ||
      body.epoch !== epoch ||
      (body.holder !== NO_HOLDER && idProblem(body.holder, 'holder') !== null) ||
      (body.granted && body.holder !== arrayId)
    ) {
      return { unreachable: true, reason: 'the mediator answered something that is not a claim answer' };
    }
    return { granted: body.granted, holder: body.holder as string };
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(new URL(path, this.base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      redirect: 'error',
      // Covers connecting, the headers and the body.
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await readCapped(response, MEDIATOR_CLIENT_ANSWER_MAX_BYTES);
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      return { status: response.status, body: undefined };
    }
  }

  private describeFailure(error: unknown): string {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return `no answer within ${this.timeoutMs} ms`;
    }
    const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
    if (cause?.code) return `cannot reach the mediator (${cause.code})`;
    return `cannot reach the mediator (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The body as text; throws past `maxBytes`, so a rogue server cannot make us buffer without end. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let totalBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    totalBytes += value.byteLength;
    if (totalBytes > maxBytes) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
