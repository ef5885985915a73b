import { describe, expect, it } from "vitest";
import {
  authorizationHeader,
  canonicalRequest,
  canonicalUri,
  computeSignature,
  formatSdkDate,
  headersToSign,
  parseAuthorization,
  parseSdkDate,
} from "../../src/client/auth/signature.js";

// The vector in FUNCTIONGRAPH.md, produced by the official SDK.
const AK = "TESTAK0123456789ABCD";
const SK = "TESTSKabcdefghijklmnopqrstuvwxyz0123456789";
const PROJECT = "0123456789abcdef0123456789abcdef";
const URN = `urn:fss:cn-north-4:${PROJECT}:function:default:hello:latest`;
const headers = {
  "Content-Type": "application/json",
  "X-Cff-Log-Type": "tail",
  "X-CFF-Request-Version": "v1",
  "X-Project-Id": PROJECT,
  Host: "127.0.0.1:18080",
  "X-Sdk-Date": "20240102T030405Z",
};
const request = {
  method: "POST",
  path: `/v2/${PROJECT}/fgs/functions/${URN}/invocations`,
  headers,
  body: '{"k":"v"}',
};

describe("SDK-HMAC-SHA256", () => {
  it("reproduces the official SDK's test vector", () => {
    const signed = headersToSign(headers);
    expect(signed.join(";")).toBe(
      "content-type;host;x-cff-log-type;x-cff-request-version;x-project-id;x-sdk-date",
    );
    expect(computeSignature(request, signed, SK)).toBe(
      "95408ac2c1bcbfa3d85b85671058e23785dcd7f9889f8c761e380e441d89e70b",
    );
  });

  it("leaves trace context unsigned: a tracing gateway may rewrite it", () => {
    const traced = {
      ...headers,
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      tracestate: "v=1",
    };
    const signed = headersToSign(traced);
    expect(signed).toEqual(headersToSign(headers));
    expect(computeSignature({ ...request, headers: traced }, signed, SK)).toBe(
      "95408ac2c1bcbfa3d85b85671058e23785dcd7f9889f8c761e380e441d89e70b",
    );
  });

  it("signs a percent-encoded path the same as the raw one", () => {
    const signed = headersToSign(headers);
    const encoded = { ...request, path: request.path.replaceAll(":", "%3A").replace("!", "%21") };
    expect(computeSignature(encoded, signed, SK)).toBe(computeSignature(request, signed, SK));
  });

  it("changes with the body, the key and the date", () => {
    const signed = headersToSign(headers);
    const base = computeSignature(request, signed, SK);
    expect(computeSignature({ ...request, body: '{"k":"w"}' }, signed, SK)).not.toBe(base);
    expect(computeSignature(request, signed, `${SK}x`)).not.toBe(base);
    const later = { ...request, headers: { ...headers, "X-Sdk-Date": "20240102T030406Z" } };
    expect(computeSignature(later, signed, SK)).not.toBe(base);
  });

  it("reads a signed header named like an Object property as absent", () => {
    const signed = ["constructor", "host", "x-sdk-date", "__proto__"];
    const canonical = canonicalRequest(request, signed);
    expect(canonical).toContain("constructor:\nhost:127.0.0.1:18080\nx-sdk-date:");
    expect(canonical).toContain("__proto__:\n");
    expect(computeSignature(request, signed, SK)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("round-trips the Authorization header", () => {
    const value = authorizationHeader(AK, ["host", "x-sdk-date"], "abc123");
    expect(parseAuthorization(value)).toEqual({
      accessKey: AK,
      signedHeaders: ["host", "x-sdk-date"],
      signature: "abc123",
    });
    expect(parseAuthorization("Bearer x")).toBeUndefined();
  });

  it("encodes path segments and always ends with a slash", () => {
    expect(canonicalUri("/v2/p/fgs/functions/a:b!c/invocations")).toBe(
      "/v2/p/fgs/functions/a%3Ab%21c/invocations/",
    );
  });

  it("formats and parses X-Sdk-Date", () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(formatSdkDate(d)).toBe("20240102T030405Z");
    expect(parseSdkDate("20240102T030405Z")?.getTime()).toBe(d.getTime());
    expect(parseSdkDate("2024-01-02")).toBeUndefined();
  });
});
