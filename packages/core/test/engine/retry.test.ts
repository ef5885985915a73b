import { describe, expect, it } from "vitest";
import {
  ApiError,
  ConnectionError,
  FunctionError,
  InvalidUrnError,
  PayloadTooLargeError,
  TimeoutError,
} from "../../src/client/errors.js";
import { decideOnFailure, retryAfterOf, retryDelayMs } from "../../src/engine/retry.js";
import { deliveryPolicySchema } from "../../src/engine/schema.js";

const policy = deliveryPolicySchema.parse({ maxAttempts: 5, firstDelayMs: 200, maxDelayMs: 1_000 });
const api = (status: number, retryable: boolean, retryAfterMs?: number) =>
  new ApiError(status, `FSS.0${status}`, "msg", "req-1", retryable, "hint", retryAfterMs);
const functionError = new FunctionError("req-2", "Error", "boom", "{}", "1");

describe("decideOnFailure", () => {
  const cases: [string, unknown, Partial<typeof policy>, ReturnType<typeof decideOnFailure>][] = [
    ["5xx is retried", api(503, true), {}, { action: "retry" }],
    ["429 is retried", api(429, true), {}, { action: "retry" }],
    ["timeout is retried", new TimeoutError(1000), {}, { action: "retry" }],
    [
      "connection failure is retried",
      new ConnectionError("http://x", "refused"),
      {},
      { action: "retry" },
    ],
    ["an unknown error is retried", new TypeError("socket"), {}, { action: "retry" }],
    [
      "400 dead-letters at once",
      api(400, false),
      {},
      { action: "dead-letter", reason: "non-retryable error" },
    ],
    [
      "404 dead-letters at once",
      api(404, false),
      {},
      { action: "dead-letter", reason: "non-retryable error" },
    ],
    [
      "payload too large dead-letters at once",
      new PayloadTooLargeError(9, 1, "async"),
      {},
      { action: "dead-letter", reason: "non-retryable error" },
    ],
    [
      "invalid URN dead-letters at once",
      new InvalidUrnError("x", "bad"),
      {},
      { action: "dead-letter", reason: "non-retryable error" },
    ],
    [
      "function error, policy retry",
      functionError,
      { onFunctionError: "retry" },
      { action: "retry" },
    ],
    [
      "function error, policy dead-letter",
      functionError,
      { onFunctionError: "dead-letter" },
      { action: "dead-letter", reason: "function error" },
    ],
  ];
  it.each(cases)("%s", (_name, error, overrides, expected) => {
    expect(decideOnFailure(error, 1, { ...policy, ...overrides })).toEqual(expected);
  });

  it("dead-letters a retryable error once maxAttempts attempts were made", () => {
    expect(decideOnFailure(api(500, true), 4, policy)).toEqual({ action: "retry" });
    expect(decideOnFailure(api(500, true), 5, policy)).toEqual({
      action: "dead-letter",
      reason: "retries exhausted",
    });
  });
});

describe("retryDelayMs (full jitter)", () => {
  it("draws in [0, cap] with cap = min(maxDelay, first × 2^(n-1))", () => {
    const caps = [200, 400, 800, 1_000, 1_000];
    caps.forEach((cap, i) => {
      expect(retryDelayMs(i + 1, policy, () => 0)).toBe(0);
      expect(retryDelayMs(i + 1, policy, () => 0.999_999_9)).toBe(cap);
      expect(retryDelayMs(i + 1, policy, () => 0.5)).toBe(Math.floor(0.5 * (cap + 1)));
    });
  });

  it("stays within the cap over many random draws, and spreads over it", () => {
    const draws = Array.from({ length: 2_000 }, () => retryDelayMs(3, policy, Math.random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(800);
    expect(Math.max(...draws)).toBeGreaterThan(600);
    expect(Math.min(...draws)).toBeLessThan(200);
  });

  it("never waits less than the server's Retry-After, even past maxDelayMs", () => {
    expect(retryDelayMs(1, policy, () => 0, 5_000)).toBe(5_000);
    expect(retryDelayMs(3, policy, () => 0.999_999_9, 100)).toBe(800);
  });

  it("reads Retry-After from ApiError only", () => {
    expect(retryAfterOf(api(429, true, 1_500))).toBe(1_500);
    expect(retryAfterOf(new TimeoutError(1))).toBeUndefined();
  });
});
