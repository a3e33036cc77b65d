// A peer's refusal, seen by the REST API of this array: a 400 with the peer's reason (peers never
// put secrets in reasons; the link module also strips connection keys).

import { objectErrors } from '../array/objects/errors.js';

export async function remote<T>(call: Promise<T>, context: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw objectErrors.invalid(context, (error as Error).message);
  }
}
