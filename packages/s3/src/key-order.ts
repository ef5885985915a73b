/**
 * S3 lists keys in UTF-8 binary order, which is Unicode code point order. JavaScript's `<`
 * compares UTF-16 code units, which differs only when a surrogate (U+D800–U+DFFF, half of a
 * code point above U+FFFF) meets a unit in U+E000–U+FFFF; this fixes that one case.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit;
}
