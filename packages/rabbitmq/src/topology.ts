/** Declares (or, with `declare: false`, checks) the queues, the exchange and its bindings. */
import type { Channel } from "amqplib";
import type { ResolvedRabbitmqOptions } from "./options.js";

/** `queues` as `consumedQueues` lists them: the one bound to `exchange` comes last. */
export async function declareTopology(
  ch: Channel,
  queues: readonly string[],
  o: ResolvedRabbitmqOptions,
): Promise<void> {
  const q = o.queueOptions;
  for (const queue of queues) {
    if (o.declare)
      await ch.assertQueue(queue, {
        durable: q.durable,
        autoDelete: q.autoDelete,
        arguments: q.arguments,
      });
    else await ch.checkQueue(queue);
  }
  if (!o.exchange) return;
  if (o.declare) await ch.assertExchange(o.exchange, o.exchangeType, { durable: q.durable });
  else await ch.checkExchange(o.exchange);
  const bound = queues[queues.length - 1]!;
  for (const key of o.bindingKeys) await ch.bindQueue(bound, o.exchange, key);
}
