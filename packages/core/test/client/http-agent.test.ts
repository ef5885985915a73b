import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { AGENT_PATH, createDispatcher, loadAgent } from "../../src/client/http-agent.js";

const load = createRequire(import.meta.url);

describe("undici's Agent, loaded alone", () => {
  it("is still at the file the client loads, and is undici's public Agent", () => {
    // Fails when an undici upgrade moves the file or hides it behind an exports map: then the
    // client falls back to the whole of undici (~14 MB more RSS), and the pin must be revisited.
    const Agent: unknown = load(AGENT_PATH);
    expect(Agent).toBe(load("undici").Agent);
    expect(loadAgent()).toBe(Agent);
  });

  it("is what the client's own dispatcher is, when no proxy is set", async () => {
    const dispatcher = createDispatcher({ connections: 2, env: {} });
    try {
      expect(dispatcher).toBeInstanceOf(load(AGENT_PATH));
    } finally {
      await dispatcher.close();
    }
  });

  it("is pinned to the exact undici version it was checked with", () => {
    const pkg = load("../../package.json") as { dependencies: Record<string, string> };
    const installed = (load("undici/package.json") as { version: string }).version;
    expect(pkg.dependencies.undici).toBe(installed);
  });
});
