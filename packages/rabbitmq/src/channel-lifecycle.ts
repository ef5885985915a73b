/**
 * A consuming channel's life on one connection: opened with the topology checked and the
 * prefetch set, and at stop closed before its connection so that no acknowledgement is lost.
 */
import { STOP_GRACE_MS } from "@fgconnect/core/internal";
import type { Channel, ChannelModel } from "amqplib";
import type { ResolvedRabbitmqOptions } from "./options.js";
import { declareTopology } from "./topology.js";

export interface ChannelHooks {
  error(err: Error): void;
  /** The broker (or the connection) closed this channel. */
  closed(channel: Channel): void;
}

export async function openChannel(
  model: ChannelModel,
  queues: readonly string[],
  options: ResolvedRabbitmqOptions,
  hooks: ChannelHooks,
): Promise<Channel> {
  const channel = await model.createChannel();
  channel.on("error", hooks.error);
  channel.on("close", () => hooks.closed(channel));
  await declareTopology(channel, queues, options);
  await channel.prefetch(options.prefetch, false);
  return channel;
}

/** Closes the channel, then the connection, giving up after STOP_GRACE_MS. */
export async function closeInOrder(model: ChannelModel, channel?: Channel): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // Closing the channel first flushes its acknowledgements: they are written in order with
  // channel.close, whereas connection.close could overtake them.
  await Promise.race([
    (channel ? channel.close().catch(() => {}) : Promise.resolve()).then(() =>
      model.close().catch(() => {}),
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
}
