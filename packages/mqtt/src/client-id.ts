/**
 * The MQTT client id. The broker keeps a persistent session under it — the subscriptions and
 * the QoS 1/2 messages that arrive while the daemon is down — so it must be the same each time
 * one replica restarts and differ between replicas (a second client with the same id takes the
 * session over, and the two keep throwing each other off).
 *
 * Default: `fgconnect-<connector>-<replica>`, the replica being `FGCONNECT_REPLICA_ID` if set,
 * else the host name. A host name is stable on a VM and in a Kubernetes StatefulSet (`name-0`),
 * but a Deployment's (or DaemonSet's) pod name ends in a random suffix that is new with every
 * pod, and a container's default host name is its id: a restart then comes back under a new id
 * and leaves its session behind.
 */
import { hostname } from "node:os";
import type { ResolvedMqttOptions } from "./options.js";

export interface ClientIdentity {
  readonly clientId: string;
  /** Set when the id will not survive a restart of this replica: why. */
  readonly changes?: string;
}

/** The alphabet of the random suffixes Kubernetes gives generated pod names (no vowels, 0, 1, 3). */
const GENERATED_POD = /-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
const CONTAINER_ID = /^[0-9a-f]{12}$/;

function changes(host: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.KUBERNETES_SERVICE_HOST !== undefined && GENERATED_POD.test(host))
    return "the host name is a generated Kubernetes pod name (a Deployment's), new with every pod";
  if (CONTAINER_ID.test(host)) return "the host name is a container id, new with every container";
  return undefined;
}

/** Characters every broker accepts in a client id, at most 128 of them. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 128);
}

export function clientIdentity(
  connector: string,
  options: Pick<ResolvedMqttOptions, "clientId">,
  env: NodeJS.ProcessEnv = process.env,
  host: string = hostname(),
): ClientIdentity {
  if (options.clientId !== undefined) return { clientId: options.clientId };
  const replica = env.FGCONNECT_REPLICA_ID?.trim();
  if (replica) return { clientId: safe(`fgconnect-${connector}-${replica}`) };
  const why = changes(host, env);
  return { clientId: safe(`fgconnect-${connector}-${host}`), ...(why ? { changes: why } : {}) };
}

/** Whether the broker keeps the session after a disconnect (what a changing id would lose). */
export function persistentSession(
  options: Pick<ResolvedMqttOptions, "clean" | "protocolVersion" | "sessionExpirySeconds">,
): boolean {
  return !options.clean && (options.protocolVersion === 4 || options.sessionExpirySeconds > 0);
}
