import { describe, expect, it } from "vitest";
import { jsonEmbeddable } from "../src/json-bytes.js";

describe("jsonEmbeddable", () => {
  it("finds a quote, a backslash or a control byte at every position and alignment", () => {
    for (let offset = 0; offset < 4; offset++) {
      for (let length = 0; length <= 24; length++) {
        const view = () => Buffer.alloc(offset + length, 0x61).subarray(offset);
        expect(jsonEmbeddable(view())).toBe(true);
        for (let at = 0; at < length; at++) {
          for (const special of [0x00, 0x01, 0x0a, 0x1f, 0x22, 0x5c]) {
            const bytes = view();
            bytes[at] = special;
            expect(jsonEmbeddable(bytes)).toBe(false);
          }
        }
      }
    }
  });

  it("lets through DEL and every byte from 0x80 up (UTF-8 is the caller's check)", () => {
    expect(jsonEmbeddable(Buffer.from("del \u007f é 中 😀 and more text"))).toBe(true);
    expect(
      jsonEmbeddable(Buffer.from([0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7e, 0x7f, 0x80, 0xff])),
    ).toBe(true);
  });
});
