import { describe, expect, it } from "vitest";
import { brokerDisconnectReason, redactUrl } from "../src/errors.js";

describe("brokerDisconnectReason", () => {
  it("names the broker's MQTT 5 reason code and carries its reason string", () => {
    expect(brokerDisconnectReason(0x8b)).toBe(
      "the broker disconnected (0x8b server shutting down)",
    );
    expect(brokerDisconnectReason(0x98, "kicked by admin")).toBe(
      "the broker disconnected (0x98 administrative action: kicked by admin)",
    );
    expect(brokerDisconnectReason(undefined)).toBe(
      "the broker disconnected (0x0 normal disconnection)",
    );
  });

  it("says what to do when another client took the session over", () => {
    expect(brokerDisconnectReason(0x8e)).toMatch(/same clientId/);
  });
});

describe("redactUrl", () => {
  it("drops the user name and password", () => {
    expect(redactUrl("mqtt://u:secret@broker:1883")).toBe("mqtt://broker:1883");
  });
});
