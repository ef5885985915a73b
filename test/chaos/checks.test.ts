import { describe, expect, it } from "vitest";
import type { DaemonProcess, LogLine } from "../harness/daemon.js";
import { orderViolations, stackTraces, tally } from "./chaos.js";
import type { Delivery } from "./recording-function.js";

const d = (id: string, pid = 1): Delivery => ({ id, pid, at: 0 });
const key = (x: Delivery) => x.id.split(":")[0]!;
const seq = (x: Delivery) => Number(x.id.split(":")[1]);

describe("the chaos checks themselves", () => {
  it("counts duplicates by id", () => {
    expect(tally([d("a"), d("b"), d("a"), d("a")])).toMatchObject({
      total: 4,
      distinct: 2,
      duplicates: 2,
    });
  });

  it("allows a restart to go back to its last commit, and flags a record before its predecessor", () => {
    const replay = ["k:0", "k:1", "k:2"].map((id) => d(id, 1));
    replay.push(d("k:1", 2), d("k:2", 2), d("k:3", 2));
    expect(orderViolations(replay, key, seq)).toEqual([]);
    expect(orderViolations([d("k:0"), d("k:2"), d("k:1")], key, seq)).toEqual([
      "k:2 before k #1 was delivered",
    ]);
    // Going back, then skipping ahead of the next record in the same process.
    const skip = [d("k:0", 1), d("k:1", 1), d("k:2", 1), d("k:0", 2), d("k:2", 2)];
    expect(orderViolations(skip, key, seq)).toEqual(["k:2 right after k #0 in daemon 2"]);
  });

  it("finds stack traces: a frame in any line, a stack field at warn or above", () => {
    const log = (lines: Partial<LogLine>[], stderr = "") =>
      ({ lines, stderr: () => stderr }) as unknown as DaemonProcess;
    const frame = "Error: boom\n    at Socket.write (node:net:1:1)";
    expect(stackTraces(log([{ level: 40, msg: "broker gone", err: "ECONNREFUSED" }]))).toEqual([]);
    expect(stackTraces(log([{ level: 30, msg: "x", stack: "no frames" }]))).toEqual([]);
    expect(stackTraces(log([{ level: 50, msg: "x", stack: "Error: boom" }]))).toHaveLength(1);
    expect(stackTraces(log([{ level: 40, msg: "x", err: { stack: "" } }]))).toHaveLength(1);
    expect(stackTraces(log([{ level: 30, msg: frame }]))).toHaveLength(1);
    expect(stackTraces(log([], `uncaught ${frame}`))).toHaveLength(1);
  });
});
