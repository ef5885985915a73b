import { describe, expect, it } from "vitest";
import { logTime } from "../src/log-format.js";

describe("log timestamps", () => {
  it("are whole seconds, and follow the clock from one second to the next", () => {
    expect(logTime(Date.parse("2022-09-20T11:43:57.999Z"))).toBe("2022-09-20T11:43:57Z");
    expect(logTime(Date.parse("2022-09-20T11:43:57.001Z"))).toBe("2022-09-20T11:43:57Z");
    expect(logTime(Date.parse("2022-09-20T11:43:58.000Z"))).toBe("2022-09-20T11:43:58Z");
    expect(logTime(Date.parse("1999-12-31T23:59:59.500Z"))).toBe("1999-12-31T23:59:59Z");
  });
});
