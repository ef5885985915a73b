/** Ready messages per consumed queue (queue.declare passive), on a channel of their own. */
import type { Channel, ChannelModel } from "amqplib";

export class QueueDepths {
  private channel?: Promise<Channel>;

  constructor(private readonly queues: readonly string[]) {}

  /** Nothing when there is no connection, or the broker does not answer. */
  async of(
    model: ChannelModel | undefined,
  ): Promise<{ total: number; detail: Record<string, number> }> {
    const detail: Record<string, number> = {};
    let total = 0;
    if (!model) return { total, detail };
    try {
      this.channel ??= model.createChannel().then((ch) => {
        ch.on("error", () => {});
        ch.on("close", () => {
          this.channel = undefined;
        });
        return ch;
      });
      const ch = await this.channel;
      for (const q of this.queues) {
        const { messageCount } = await ch.checkQueue(q);
        detail[q] = messageCount;
        total += messageCount;
      }
    } catch {
      this.channel = undefined;
    }
    return { total, detail };
  }

  /** The connection is gone: the next query opens a channel on the new one. */
  forget(): void {
    this.channel = undefined;
  }
}
