/** Counters a broker source keeps since start, for embedding (the daemon's /metrics has the engine's). */
export interface BrokerStats {
  received: number;
  /** Received, outcome not yet in. */
  inFlight: number;
  /** Delivered or dead-lettered, and acknowledged to the broker. */
  acknowledged: number;
  /** Connections the broker accepted (1 + reconnects). */
  connections: number;
}

export function brokerStats(): BrokerStats {
  return { received: 0, inFlight: 0, acknowledged: 0, connections: 0 };
}
