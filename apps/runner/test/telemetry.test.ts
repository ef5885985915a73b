import { describe, expect, it } from "vitest";
import { TelemetryEnvError, telemetrySettings } from "../src/telemetry.js";

const none = { otlp: {} };
const configured = { otlp: { endpoint: "http://collector:4318/" } };

describe("telemetry settings", () => {
  it("are off with neither an endpoint in the config nor one in OTEL_EXPORTER_OTLP_*", () => {
    expect(telemetrySettings(none, {})).toBeUndefined();
    expect(telemetrySettings(none, { OTEL_SERVICE_NAME: "x" })).toBeUndefined();
  });

  it("export to the config's endpoint + /v1/traces, protobuf unless told", () => {
    expect(telemetrySettings(configured, {})).toEqual({
      url: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
    });
    const json = {
      otlp: { ...configured.otlp, protocol: "http/json" as const, headers: { k: "v" } },
    };
    expect(telemetrySettings(json, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).toEqual({
      url: "http://collector:4318/v1/traces",
      protocol: "http/json",
      headers: { k: "v" },
    });
  });

  it("are on with only an OTEL_* endpoint, the exporter reading it", () => {
    for (const name of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
      expect(telemetrySettings(none, { [name]: "http://c:4318" })).toEqual({
        protocol: "http/protobuf",
      });
    expect(
      telemetrySettings(none, {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      })?.protocol,
    ).toBe("http/json");
  });

  it("are off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, even when configured", () => {
    expect(telemetrySettings(configured, { OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(telemetrySettings(configured, { OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
  });

  it("refuse what fgconnect cannot export, naming the variable", () => {
    expect(() => telemetrySettings(configured, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(
      TelemetryEnvError,
    );
    expect(() =>
      telemetrySettings(configured, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" }),
    ).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http\/protobuf or http\/json/);
    expect(() => telemetrySettings(configured, { OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(
      /OTEL_TRACES_EXPORTER must be otlp or none/,
    );
  });
});
