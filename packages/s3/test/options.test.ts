import { describe, expect, it } from "vitest";
import { s3OptionsSchema } from "../src/options.js";

const issues = (input: unknown) => {
  const r = s3OptionsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("s3OptionsSchema", () => {
  it("fills defaults", () => {
    const o = s3OptionsSchema.parse({ bucket: "my-bucket" });
    expect(o).toMatchObject({
      mode: "poll",
      region: "us-east-1",
      prefix: "",
      poll: { intervalMs: 30_000, pageSize: 1000 },
      checkpoint: { store: "file" },
    });
  });
  it("names the field that is wrong", () => {
    expect(issues({ bucket: "B" })[0]).toMatch(/^bucket: /);
    expect(issues({ bucket: "b-1", mode: "notifications" })).toEqual([
      "notifications.secret: required in notifications mode (the endpoint refuses unauthenticated senders)",
    ]);
    expect(issues({ bucket: "b-1", afterDelivery: { action: "move" } })).toEqual([
      "afterDelivery.movePrefix: required with action move",
    ]);
    expect(
      issues({
        bucket: "b-1",
        prefix: "in/",
        afterDelivery: { action: "move", movePrefix: "in/" },
      })[0],
    ).toMatch(/^afterDelivery.movePrefix/);
    expect(issues({ bucket: "b-1", pollInterval: 5 })[0]).toMatch(/pollInterval/);
  });
});
