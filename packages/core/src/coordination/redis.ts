/**
 * Leases in Redis: the lease is one key holding "<token> <holder>" with a PX expiry, its token
 * comes from INCR of a counter key that never expires, and renew, release and fenced writes are
 * Lua scripts that compare the key's value before they act (one atomic step in Redis). The keys
 * of one lease share a hash tag, so they live on one slot.
 */
import { Redis } from "ioredis";
import { type Logger, silentLogger } from "../engine/logger.js";
import type { AcquireResult, CoordinationDriver, CoordinationHealth } from "./driver.js";
import { messageOf } from "./errors.js";
import { redactUrl } from "./options.js";

const ACQUIRE = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl ~= -2 then return {0, ttl} end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {1, token}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const FENCED_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end
return 0`;

const IS_CURRENT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0`;

interface Scripts {
  fgAcquire(lease: string, counter: string, holder: string, ttl: number): Promise<[number, number]>;
  fgRenew(lease: string, value: string, ttl: number): Promise<number>;
  fgRelease(lease: string, value: string): Promise<number>;
  fgFencedSet(lease: string, key: string, value: string, data: string): Promise<number>;
  fgIsCurrent(lease: string, value: string): Promise<number>;
}

export interface RedisDriverOptions {
  url: string;
  keyPrefix: string;
  logger?: Logger;
}

export class RedisDriver implements CoordinationDriver {
  readonly engine = "redis";
  readonly location: string;
  private readonly client: Redis & Scripts;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly listeners: ((reason: string) => void)[] = [];
  private lastError = "connecting";
  private down = false;

  constructor(options: RedisDriverOptions) {
    this.location = redactUrl(options.url);
    this.prefix = options.keyPrefix;
    this.logger = options.logger ?? silentLogger;
    const client = new Redis(options.url, {
      connectionName: `fgconnect:${options.keyPrefix}`,
      // Commands wait for a connection (the lease logic times them out and retries); one in
      // flight when the connection drops fails. A late command is harmless: the scripts check.
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5000),
    });
    client.defineCommand("fgAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    client.defineCommand("fgRenew", { numberOfKeys: 1, lua: RENEW });
    client.defineCommand("fgRelease", { numberOfKeys: 1, lua: RELEASE });
    client.defineCommand("fgFencedSet", { numberOfKeys: 2, lua: FENCED_SET });
    client.defineCommand("fgIsCurrent", { numberOfKeys: 1, lua: IS_CURRENT });
    client.on("error", (error: unknown) => {
      this.lastError = messageOf(error);
      if (!this.down) {
        this.down = true;
        this.logger.warn(
          { url: this.location, err: this.lastError },
          "coordination engine unreachable; retrying (no cron firing or bucket polling without a lease)",
        );
      }
    });
    client.on("ready", () => {
      if (this.down)
        this.logger.info({ url: this.location }, "coordination engine reachable again");
      this.down = false;
    });
    client.on("close", () => {
      this.lastError = this.lastError === "connecting" ? this.lastError : "connection closed";
      for (const l of this.listeners) l("connection closed");
    });
    this.client = client as Redis & Scripts;
  }

  private key(kind: string, lease: string, key = ""): string {
    return `${this.prefix}${kind}:{${lease}}${key ? `:${key}` : ""}`;
  }

  async tryAcquire(lease: string, holder: string, ttlMs: number): Promise<AcquireResult> {
    const [won, n] = await this.client.fgAcquire(
      this.key("lease", lease),
      this.key("token", lease),
      holder,
      ttlMs,
    );
    return won === 1 ? { token: Number(n) } : { heldForMs: n < 0 ? ttlMs : Number(n) };
  }

  async renew(lease: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.client.fgRenew(this.key("lease", lease), `${token} ${holder}`, ttlMs)) === 1;
  }

  async release(lease: string, holder: string, token: number): Promise<void> {
    await this.client.fgRelease(this.key("lease", lease), `${token} ${holder}`);
  }

  async get(lease: string, key: string): Promise<string | undefined> {
    return (await this.client.get(this.key("state", lease, key))) ?? undefined;
  }

  async fencedSet(
    lease: string,
    holder: string,
    token: number,
    key: string,
    value: string,
  ): Promise<boolean> {
    const done = await this.client.fgFencedSet(
      this.key("lease", lease),
      this.key("state", lease, key),
      `${token} ${holder}`,
      value,
    );
    return done === 1;
  }

  async isCurrent(lease: string, holder: string, token: number): Promise<boolean> {
    return (await this.client.fgIsCurrent(this.key("lease", lease), `${token} ${holder}`)) === 1;
  }

  onConnectionLost(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  health(): CoordinationHealth {
    return this.client.status === "ready"
      ? { connected: true, detail: `redis at ${this.location}` }
      : { connected: false, detail: `redis at ${this.location}: ${this.lastError}` };
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
