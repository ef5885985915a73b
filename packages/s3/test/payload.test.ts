import { describe, expect, it } from "vitest";
import { inlineContent } from "../src/content.js";
import { decodeEventKey, encodeEventKey } from "../src/event-key.js";
import { parseNotification } from "../src/notification-records.js";
import { obsEvent, obsEventRecord, sequencerOf } from "../src/payload.js";

describe("OBS-trigger payload", () => {
  it("has the fields of FunctionGraph's OBS trigger event", () => {
    const record = obsEventRecord({
      eventName: "ObjectCreated:Put",
      eventTime: "2018-01-09T07:50:50.028Z",
      region: "cn-north-4",
      bucket: "photos",
      key: "job.png",
      size: 777835,
      etag: "9d377b10ce778c4938b3c7e2c63a229a",
      sequencer: sequencerOf(1515484250028),
      configurationId: "uploads",
    });
    const event = obsEvent([{ body: record }]);
    expect(event).toEqual({
      Records: [
        {
          eventVersion: "2.0",
          eventSource: "aws:s3",
          awsRegion: "cn-north-4",
          eventTime: "2018-01-09T07:50:50.028Z",
          eventName: "ObjectCreated:Put",
          userIdentity: { principalId: "fgconnect" },
          requestParameters: { sourceIPAddress: "" },
          responseElements: {},
          s3: {
            s3SchemaVersion: "1.0",
            configurationId: "uploads",
            bucket: {
              name: "photos",
              ownerIdentity: { PrincipalId: "" },
              arn: "arn:aws:s3:::photos",
            },
            object: {
              key: "job.png",
              size: 777835,
              eTag: "9d377b10ce778c4938b3c7e2c63a229a",
              sequencer: "00000160D9E67FAC",
            },
          },
        },
      ],
    });
  });

  it("a delete has no size or eTag", () => {
    const r = obsEventRecord({
      eventName: "ObjectRemoved:Delete",
      eventTime: "2024-01-01T00:00:00.000Z",
      region: "r",
      bucket: "b",
      key: "k",
      sequencer: "01",
      configurationId: "c",
    });
    expect(r.s3.object).toEqual({ key: "k", sequencer: "01" });
  });
});

describe("inline content", () => {
  it("keeps text as text and the content type", () => {
    expect(inlineContent(Buffer.from('{"a":"é"}'), "application/json")).toEqual({
      contentType: "application/json",
      content: '{"a":"é"}',
      contentEncoding: "utf8",
    });
  });
  it("base64-encodes binary, and text that is not valid UTF-8", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    expect(inlineContent(png, "image/png")).toEqual({
      contentType: "image/png",
      content: png.toString("base64"),
      contentEncoding: "base64",
    });
    expect(inlineContent(Buffer.from([0xff, 0xfe]), "text/plain").contentEncoding).toBe("base64");
    expect(inlineContent(Buffer.from([0x00, 0x01, 0x41]), undefined).contentEncoding).toBe(
      "base64",
    );
    expect(
      inlineContent(Buffer.from("plain words\n"), "application/octet-stream").contentEncoding,
    ).toBe("utf8");
  });
});

describe("notification documents", () => {
  it("accepts a Records document and keeps unknown fields", () => {
    const doc = {
      EventName: "s3:ObjectCreated:Put",
      Records: [
        {
          eventName: "ObjectCreated:Put",
          extra: 1,
          s3: { bucket: { name: "b" }, object: { key: "a+b%2Fc", size: 3 } },
        },
      ],
    };
    const parsed = parseNotification(JSON.stringify(doc));
    expect(parsed.kind).toBe("records");
    if (parsed.kind === "records") expect(parsed.records[0]).toMatchObject({ extra: 1 });
  });
  it("recognizes test events and refuses what is not a notification", () => {
    expect(
      parseNotification(JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent" })),
    ).toEqual({ kind: "test" });
    expect(parseNotification("nope").kind).toBe("invalid");
    expect(parseNotification(JSON.stringify({ Records: [{ eventName: "x" }] })).kind).toBe(
      "invalid",
    );
  });
  it("encodes keys as S3 and OBS events do, and decodes what it encodes", () => {
    expect(encodeEventKey("in/a b+c/100%é.txt")).toBe("in/a+b%2Bc/100%25%C3%A9.txt");
    for (const key of ["plain.txt", "a b/c+d", "100%", "tab\there", "😀/x?y=z&w"]) {
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    }
  });
  it("decodes URL-encoded keys", () => {
    expect(decodeEventKey("a+b%2Fc%C3%A9")).toBe("a b/cé");
    expect(decodeEventKey("100%")).toBe("100%");
  });
});
