/** The request headers of each kind of call, built once per client, and their merge with auth. */
import type { AuthHeaders } from "./auth/provider.js";
import type { ResolvedOptions } from "./options.js";

export type Kind = "sync" | "async" | "legacy" | "status";

/**
 * Request headers of one kind of call (sync, async, legacy, status) with the client's
 * defaults, built once, plus the last merge with the auth provider's headers: a provider that
 * returns the same object (a token) costs no allocation per call.
 */
export interface HeaderSlot {
  readonly base: Readonly<Record<string, string>>;
  auth: AuthHeaders | undefined;
  merged: Readonly<Record<string, string>> | undefined;
}

/** The headers of one kind of call, lower-case names; user headers may override ours. */
export function headersFor(
  o: ResolvedOptions,
  kind: Kind,
  logTail: boolean,
  memory: number | undefined,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  // Host is explicit: AK/SK signs it, and a proxy agent would otherwise add it to our object.
  const h: Record<string, string> = { host: o.host };
  if (kind !== "status") h["content-type"] = "application/json";
  // v1 is the JSON envelope; the default v0 returns the raw result (FUNCTIONGRAPH.md).
  if (kind === "sync") h["x-cff-request-version"] = "v1";
  if (logTail && kind !== "async" && kind !== "status") h["x-cff-log-type"] = "tail";
  if (memory !== undefined && kind !== "status") h["x-cff-instance-memory"] = String(memory);
  Object.assign(h, o.headers, extra);
  return h;
}

export function mergeAuth(slot: HeaderSlot, auth: AuthHeaders): Readonly<Record<string, string>> {
  if (slot.auth === auth && slot.merged !== undefined) return slot.merged;
  const merged = { ...slot.base, ...auth };
  slot.auth = auth;
  slot.merged = merged;
  return merged;
}
