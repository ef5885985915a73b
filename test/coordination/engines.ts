/**
 * The two coordination engines as the tests use them: the machine's Redis and PostgreSQL, each
 * test with a key prefix or schema of its own, removed afterwards; and a way to cut the daemons'
 * connections to the engine (only theirs: they are found by the connection name they set).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";

export const REDIS_URL = process.env.FGCONNECT_TEST_REDIS ?? "redis://127.0.0.1:6379";
export const POSTGRES_URL =
  process.env.FGCONNECT_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestEngine {
  name: "redis" | "postgres";
  /** A fresh `coordination` section (own prefix or schema). */
  section(leaseMs: number): Record<string, unknown>;
  /** Drops every connection the daemons opened to the engine for this test. */
  cutConnections(): Promise<number>;
  cleanup(): Promise<void>;
}

const tag = () => `t${process.pid}_${randomBytes(3).toString("hex")}`;

/** `url`: another Redis than the machine's (one a test restarts). */
export function redisEngine(url = REDIS_URL): TestEngine {
  const prefix = `fgc-test:${tag()}:`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  return {
    name: "redis",
    section: (leaseMs) => ({ type: "redis", url, keyPrefix: prefix, leaseMs }),
    async cutConnections() {
      const list = (await admin.call("CLIENT", "LIST")) as string;
      const ids = list
        .split("\n")
        .filter((l) => l.includes(` name=fgconnect:${prefix} `))
        .map((l) => /id=(\d+)/.exec(l)![1]!);
      for (const id of ids) await admin.call("CLIENT", "KILL", "ID", id);
      return ids.length;
    },
    async cleanup() {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    },
  };
}

export function postgresEngine(): TestEngine {
  const schema = `fgc_test_${tag()}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  return {
    name: "postgres",
    section: (leaseMs) => ({ type: "postgres", url: POSTGRES_URL, schema, leaseMs }),
    async cutConnections() {
      const r = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [`fgconnect:${schema}`],
      );
      return r.rowCount ?? 0;
    },
    async cleanup() {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

export const engines = [
  { name: "redis", make: redisEngine },
  { name: "postgres", make: postgresEngine },
] as const;
