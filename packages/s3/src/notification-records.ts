/**
 * The `Records` document that AWS S3, Huawei OBS and MinIO POST to a webhook. Only the fields
 * the connector reads are checked; the rest of each record is passed on untouched.
 */
import { z } from "zod";

const recordSchema = z.looseObject({
  eventName: z.string().min(1),
  eventTime: z.string().optional(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

export type NotificationRecord = z.infer<typeof recordSchema>;

const documentSchema = z.looseObject({ Records: z.array(recordSchema) });

/** A document with no `Records`, such as S3's `s3:TestEvent` sent when a webhook is set up. */
const testEventSchema = z.looseObject({ Event: z.string() });

export type ParsedNotification =
  | { kind: "records"; records: NotificationRecord[] }
  | { kind: "test" }
  | { kind: "invalid"; reason: string };

export function parseNotification(text: string): ParsedNotification {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "invalid", reason: "the body is not JSON" };
  }
  const doc = documentSchema.safeParse(json);
  if (doc.success) return { kind: "records", records: doc.data.Records };
  if (testEventSchema.safeParse(json).success) return { kind: "test" };
  return { kind: "invalid", reason: z.prettifyError(doc.error) };
}
