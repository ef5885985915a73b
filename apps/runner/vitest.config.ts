import { defineConfig } from "vitest/config";

// The CLI tests spawn node processes: on a loaded 2-core machine a few take seconds each.
export default defineConfig({ test: { testTimeout: 30_000 } });
