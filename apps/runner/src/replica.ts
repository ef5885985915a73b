import { hostname } from "node:os";

/**
 * This replica's identity: `FGCONNECT_REPLICA_ID` (the deploy manifests set it to the pod
 * name), else the host name. Stable across restarts only where the platform keeps the name
 * (a StatefulSet, a VM); unique across replicas either way.
 */
export function replicaId(env: NodeJS.ProcessEnv = process.env): string {
  return env.FGCONNECT_REPLICA_ID?.trim() || hostname();
}
