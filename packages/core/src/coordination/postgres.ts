/**
 * Leases in PostgreSQL: one row per lease (holder, token, expires_at), timed by the database's
 * own clock (now()), taken and renewed by single conditional statements. Fenced writes lock the
 * lease row FOR SHARE in the same statement, so a takeover waits for a write in progress and a
 * write after a takeover finds a different token and changes nothing.
 */
import pg from "pg";
import { type Logger, silentLogger } from "../engine/logger.js";
import type { AcquireResult, CoordinationDriver, CoordinationHealth } from "./driver.js";
import { messageOf } from "./errors.js";
import { redactUrl } from "./options.js";

export interface PostgresDriverOptions {
  url: string;
  schema: string;
  logger?: Logger;
}

// Errors that mean the connection itself is gone (terminated backend, server shutdown, network).
const CONNECTION_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006"]);
const NETWORK = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection terminated/i;

export class PostgresDriver implements CoordinationDriver {
  readonly engine = "postgres";
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly logger: Logger;
  private readonly listeners: ((reason: string) => void)[] = [];
  private ready: Promise<void> | undefined;
  private lastError = "connecting";
  private up = false;
  private everUp = false;

  constructor(private readonly options: PostgresDriverOptions) {
    this.location = redactUrl(options.url);
    this.s = `"${options.schema}"`;
    this.logger = options.logger ?? silentLogger;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 60_000,
      application_name: `fgconnect:${options.schema}`,
    });
    // An idle connection that dies (terminated backend, server restart) is a lost connection.
    this.pool.on("error", (error) => this.failed(error));
  }

  private failed(error: unknown): void {
    this.lastError = messageOf(error);
    if (this.up || !this.everUp) {
      this.logger.warn(
        { url: this.location, err: this.lastError },
        "coordination engine unreachable; retrying (no cron firing or bucket polling without a lease)",
      );
    }
    this.up = false;
    this.everUp = true;
    for (const l of this.listeners) l(this.lastError);
  }

  private async query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    await this.migrate();
    return this.run(text, values);
  }

  private async run(text: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      const result = await this.pool.query(text, values);
      if (!this.up && this.everUp)
        this.logger.info({ url: this.location }, "coordination engine reachable again");
      this.up = true;
      this.everUp = true;
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code && CONNECTION_CODES.has(code)) || NETWORK.test(messageOf(error)) || !this.up)
        this.failed(error);
      throw error;
    }
  }

  /** Creates the schema and tables once; concurrent replicas serialize on an advisory lock. */
  private migrate(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
          `fgconnect:${this.options.schema}`,
        ]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.s}.leases (
             name text PRIMARY KEY, holder text NOT NULL, token bigint NOT NULL,
             expires_at timestamptz NOT NULL)`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.s}.state (
             lease text NOT NULL, key text NOT NULL, value text NOT NULL, token bigint NOT NULL,
             PRIMARY KEY (lease, key))`,
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      this.failed(error);
      throw error;
    });
    return this.ready;
  }

  async tryAcquire(lease: string, holder: string, ttlMs: number): Promise<AcquireResult> {
    const won = await this.query(
      `INSERT INTO ${this.s}.leases AS l (name, holder, token, expires_at)
       VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE
         SET holder = EXCLUDED.holder, token = l.token + 1, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
       RETURNING token`,
      [lease, holder, ttlMs],
    );
    if (won.rowCount === 1) return { token: Number(won.rows[0].token) };
    const left = await this.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::float8 AS ms
       FROM ${this.s}.leases WHERE name = $1`,
      [lease],
    );
    return { heldForMs: left.rowCount === 1 ? Number(left.rows[0].ms) : 0 };
  }

  async renew(lease: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    const r = await this.query(
      `UPDATE ${this.s}.leases SET expires_at = now() + $4 * interval '1 millisecond'
       WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()`,
      [lease, holder, token, ttlMs],
    );
    return r.rowCount === 1;
  }

  async release(lease: string, holder: string, token: number): Promise<void> {
    await this.query(
      `UPDATE ${this.s}.leases SET expires_at = '-infinity'
       WHERE name = $1 AND holder = $2 AND token = $3`,
      [lease, holder, token],
    );
  }

  async get(lease: string, key: string): Promise<string | undefined> {
    const r = await this.query(`SELECT value FROM ${this.s}.state WHERE lease = $1 AND key = $2`, [
      lease,
      key,
    ]);
    return r.rowCount === 1 ? (r.rows[0].value as string) : undefined;
  }

  async fencedSet(
    lease: string,
    holder: string,
    token: number,
    key: string,
    value: string,
  ): Promise<boolean> {
    const r = await this.query(
      `WITH current AS (
         SELECT 1 FROM ${this.s}.leases
         WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()
         FOR SHARE)
       INSERT INTO ${this.s}.state (lease, key, value, token)
       SELECT $1, $4, $5, $3 FROM current
       ON CONFLICT (lease, key) DO UPDATE SET value = EXCLUDED.value, token = EXCLUDED.token`,
      [lease, holder, token, key, value],
    );
    return r.rowCount === 1;
  }

  async isCurrent(lease: string, holder: string, token: number): Promise<boolean> {
    const r = await this.query(
      `SELECT 1 FROM ${this.s}.leases
       WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()`,
      [lease, holder, token],
    );
    return r.rowCount === 1;
  }

  onConnectionLost(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  health(): CoordinationHealth {
    return this.up
      ? { connected: true, detail: `postgres at ${this.location}` }
      : { connected: false, detail: `postgres at ${this.location}: ${this.lastError}` };
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
    await this.pool.end().catch(() => undefined);
  }
}
