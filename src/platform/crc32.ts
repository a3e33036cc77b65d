// CRC-32 (IEEE 802.3, the polynomial zlib uses) for the data path: block checksums, journal
// records, index log records and replication frames. @node-rs/crc32 computes the same values as
// node:zlib's crc32 with the CPU's carry-less multiply: measured on this machine, 14.5 GB/s on
// 4 KiB blocks against zlib's 4.9 GB/s, which made checksums a quarter of a 1 MiB read's CPU time.
// `crc32(data, previous)` continues a checksum, as zlib's does.
//
// `CrcConcatenation` answers "what is the CRC of these equal-sized pieces laid end to end?" from
// the pieces' own CRCs, without their bytes (zlib's crc32_combine for one fixed length). A run of
// stored blocks is then checked with one CRC over the whole run (twice as fast per byte as 4 KiB
// at a time) compared with the combination of the blocks' recorded CRCs.

export { crc32 } from '@node-rs/crc32';

/** The reflected CRC-32 polynomial. */
const POLYNOMIAL = 0xedb88320;

/** a(x) * b(x) modulo the polynomial, both in reflected bit order (bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let factor = b >>> 0;
  for (let bit = 0x8000_0000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= factor;
    factor = factor & 1 ? (factor >>> 1) ^ POLYNOMIAL : factor >>> 1;
  }
  return product >>> 0;
}

/** x^(8 * bytes) modulo the polynomial: what appending `bytes` zero bytes multiplies a CRC by. */
function shiftOperatorFor(bytes: number): number {
  let result = 0x8000_0000; // x^0
  let power = 0x4000_0000; // x^1, squared at each step: x^(2^k)
  for (let bits = bytes * 8; bits > 0; bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) result = multiplyModP(power, result);
    power = multiplyModP(power, power);
  }
  return result;
}

export class CrcConcatenation {
  /** Four byte-indexed tables for the (linear) shift by one piece: four lookups per piece. */
  private readonly tables: Uint32Array[];

  constructor(readonly pieceBytes: number) {
    const operator = shiftOperatorFor(pieceBytes);
    this.tables = [0, 8, 16, 24].map((shift) => {
      const table = new Uint32Array(256);
      for (let value = 0; value < 256; value++) table[value] = multiplyModP(operator, value << shift);
      return table;
    });
  }

  /** The CRC of `before` followed by one piece whose own CRC is `pieceCrc`. */
  append(before: number, pieceCrc: number): number {
    const [t0, t1, t2, t3] = this.tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const shifted =
      t0[before & 0xff]! ^ t1[(before >>> 8) & 0xff]! ^ t2[(before >>> 16) & 0xff]! ^ t3[before >>> 24]!;
    return (shifted ^ pieceCrc) >>> 0;
  }
}
