import type { Kafka, KafkaMessage } from "kafkajs";
import { waitFor } from "../kafka.js";

/** Reads a topic from the beginning until `count` messages arrived. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${Date.now()}`,
    maxBytesPerPartition: 16 * 1024 * 1024,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(`${count} messages on ${topic}`, () => messages.length >= count, timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
