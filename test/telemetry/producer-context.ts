/** A producer's span as the tests make one up: random W3C ids and the `traceparent` it sends. */
import { randomBytes } from "node:crypto";

export interface ProducerSpan {
  traceId: string;
  spanId: string;
}

export const producer = (): ProducerSpan => ({
  traceId: randomBytes(16).toString("hex"),
  spanId: randomBytes(8).toString("hex"),
});

/** Version 00, sampled. */
export const traceparent = (p: ProducerSpan): string => `00-${p.traceId}-${p.spanId}-01`;
