import { readFileSync } from "node:fs";

/** A sample FunctionGraph trigger event, as `fgconnect-emulator event <kind>` prints it. */
export interface SampleEvent {
  kind: string;
  /** The fgconnect connector type that sends this event. */
  connector: string;
  summary: string;
  event: unknown;
}

let samples: SampleEvent[] | undefined;

/**
 * The sample trigger events (timer, Kafka, OBS, RabbitMQ, APIG, MQTT). sample-events.json is
 * generated from the connectors' own payload builders (scripts/sample-events.mjs), so each is
 * what fgconnect sends for that trigger.
 */
export function sampleEvents(): SampleEvent[] {
  samples ??= JSON.parse(
    readFileSync(new URL("../sample-events.json", import.meta.url), "utf8"),
  ) as SampleEvent[];
  return samples.map((s) => structuredClone(s));
}

/** The sample of a kind, or of the connector type that sends it (`s3` → `obs`). */
export function sampleEvent(name: string): SampleEvent | undefined {
  return sampleEvents().find((s) => s.kind === name || s.connector === name);
}
