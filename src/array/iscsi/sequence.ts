// 32-bit serial number arithmetic (RFC 1982) for CmdSN, StatSN and DataSN.

export function snAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** b - a modulo 2^32. */
export function snDistance(a: number, b: number): number {
  return (b - a) >>> 0;
}

/** a < b in serial arithmetic. */
export function snLess(a: number, b: number): boolean {
  const d = snDistance(a, b);
  return d !== 0 && d < 0x80000000;
}
