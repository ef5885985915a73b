import { describe, expect, it } from "vitest";
import { compareKeys } from "../src/key-order.js";

const utf8Order = (a: string, b: string) =>
  Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe("compareKeys", () => {
  it("orders keys as S3 does (UTF-8 bytes), including astral characters against U+E000-U+FFFF", () => {
    const samples = [
      "",
      "a",
      "a/b",
      "a/",
      "ab",
      "Z",
      "é",
      "\uffff",
      "\ue000",
      "😀",
      "😀a",
      "\ud7ff",
      "日本",
      "a\tb",
    ];
    for (const a of samples)
      for (const b of samples)
        expect(Math.sign(compareKeys(a, b)), `${a} vs ${b}`).toBe(utf8Order(a, b));
    // The case plain `<` gets wrong:
    expect("😀" < "\uffff").toBe(true);
    expect(compareKeys("😀", "\uffff")).toBeGreaterThan(0);
  });
});
