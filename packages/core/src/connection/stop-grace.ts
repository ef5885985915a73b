/** How long a broker connector's stop() waits for a graceful close before it drops the connection. */
export const STOP_GRACE_MS = 5000;
