// An in-memory source for benchmarks: pushes records as fast as the engine lets it.
const event = { k: "v", n: 0 };

/** Pushes `count` records over 64 ordering keys; calls `done` once all have an outcome. */
export function memorySource(count, done) {
  let paused = false;
  let sent = 0;
  let settled = 0;
  let ctx;
  const pump = () => {
    while (!paused && sent < count) {
      const n = sent++;
      ctx
        .push({
          id: String(n),
          source: "memory",
          attributes: {},
          body: event,
          orderingKey: String(n % 64),
          timestamp: Date.now(),
          size: 16,
        })
        .then(() => {
          if (++settled === count) done();
        });
    }
  };
  return {
    name: "memory",
    type: "memory",
    formats: { raw: { description: "the body", build: (records) => records[0].body } },
    defaultFormat: "raw",
    async start(c) {
      ctx = c;
      setImmediate(pump);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      setImmediate(pump);
    },
    async stop() {},
    health: () => ({ connected: true }),
  };
}
