/** Whether the brokers answer: one warn line per outage, and the connector's health from it. */
import type { ConnectorContext, ConnectorHealth } from "@fgconnect/core";

export class BrokerStatus {
  /** In the group now. */
  joined = false;
  lastAlive = 0;
  lastError?: string;
  /** Since when and why the brokers cannot be reached, while they cannot. */
  outage?: { since: number; reason: string };

  constructor(
    private readonly connector: string,
    private readonly brokers: string[],
    private readonly logger: () => ConnectorContext["logger"] | undefined,
  ) {}

  /** A heartbeat or a join: the group coordinator answers. */
  alive(): void {
    this.lastAlive = Date.now();
    this.back();
  }

  /** One warn line per outage, with the reason; kafkajs reconnects by itself. */
  lost(reason: string, stopped: boolean): void {
    this.lastError = reason;
    if (this.outage || stopped) return;
    this.outage = { since: Date.now(), reason };
    this.logger()?.warn(
      { connector: this.connector, brokers: this.brokers, reason },
      `Kafka broker unreachable (${reason}): reconnecting`,
    );
  }

  private back(): void {
    if (!this.outage) return;
    const downMs = Date.now() - this.outage.since;
    this.outage = undefined;
    this.logger()?.info(
      { connector: this.connector, brokers: this.brokers, downMs },
      "Kafka broker reachable again: consuming",
    );
  }

  /** Connected while in the group and heard from within `windowMs`. */
  health(groupId: string, partitions: number, windowMs: number): ConnectorHealth {
    const brokers = this.brokers.join(",");
    if (!this.joined) return { connected: false, detail: `not in group ${groupId} (${brokers})` };
    if (Date.now() - this.lastAlive > windowMs) {
      return {
        connected: false,
        detail: `no answer from ${brokers} for ${Date.now() - this.lastAlive} ms${this.lastError ? `: ${this.lastError}` : ""}`,
      };
    }
    return {
      connected: true,
      detail: `${partitions} partition(s) of group ${groupId} on ${brokers}`,
    };
  }
}
