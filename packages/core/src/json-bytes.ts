/**
 * JSON bodies written as bytes. Connectors copy a value whose UTF-8 bytes can stand between
 * quotes as they are (no `"`, `\` or control character) straight into the body: decoding it to a
 * string, escaping it and encoding it again cost more than the rest of a record's way through
 * the connector. The caller checks UTF-8 (`isUtf8`) first.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function escapes(b: number): boolean {
  return b < 0x20 || b === QUOTE || b === BACKSLASH;
}

/**
 * Four bytes at a time (the bit tricks for "has a byte below 0x20" and "has a zero byte" after
 * XOR with `"` and `\`): a byte at a time was the largest single cost of a 1 KB Kafka record at
 * batch 100.
 */
export function jsonEmbeddable(value: Uint8Array): boolean {
  const n = value.length;
  const offset = value.byteOffset;
  let i = 0;
  const head = Math.min(n, (4 - (offset & 3)) & 3);
  for (; i < head; i++) if (escapes(value[i]!)) return false;
  const count = (n - i) >>> 2;
  if (count > 0) {
    const words = new Uint32Array(value.buffer, offset + i, count);
    for (let k = 0; k < count; k++) {
      const x = words[k]!;
      const q = x ^ 0x22222222;
      const s = x ^ 0x5c5c5c5c;
      const hits = ((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s);
      if ((hits & 0x80808080) !== 0) return false;
    }
    i += count * 4;
  }
  for (; i < n; i++) if (escapes(value[i]!)) return false;
  return true;
}

/** A piece of a body: a string is JSON text; bytes are text to put between quotes as they are. */
export type JsonPart = string | Uint8Array;

/** The bytes `part` takes in the body. */
export function jsonPartLength(part: JsonPart): number {
  return typeof part === "string" ? Buffer.byteLength(part) : part.length + 2;
}

/** Writes `part` into `out` at `at`; returns the offset after it. */
export function writeJsonPart(out: Buffer, at: number, part: JsonPart): number {
  if (typeof part === "string") return at + out.write(part, at);
  out[at] = QUOTE;
  out.set(part, at + 1);
  at += part.length + 1;
  out[at] = QUOTE;
  return at + 1;
}
