import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core";
import {
  AsyncInvokeFunctionRequest,
  FunctionGraphClient,
  InvokeFunctionRequest,
} from "@huaweicloud/huaweicloud-sdk-functiongraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The emulator must satisfy the official Huawei Cloud SDK, signatures included.
// The SDK hands back the parsed body as a plain object, so its fields keep their wire names.
const wire = (response: object) => response as { request_id?: string; httpStatusCode?: number };
const AK = "SDKTESTAK0123456789A";
const SK = "SDKTESTSKabcdefghijklmnopqrstuvwxyz012345";

let emu: Emulator;
let sdk: FunctionGraphClient;

beforeAll(async () => {
  emu = await startEmulator({
    log: false,
    auth: { keys: { [AK]: SK } },
    functions: { hello: async (event) => ({ hello: event }) },
  });
  const credentials = new BasicCredentials().withAk(AK).withSk(SK).withProjectId(emu.projectId);
  sdk = FunctionGraphClient.newBuilder().withCredential(credentials).withEndpoint(emu.url).build();
});
afterAll(() => emu.close());

describe("the official Huawei Cloud SDK against the emulator", () => {
  it("invokes synchronously with a v1 response and the log tail", async () => {
    const request = new InvokeFunctionRequest()
      .withFunctionUrn(emu.urnFor("hello"))
      .withXCffLogType("tail")
      .withXCFFRequestVersion("v1")
      .withBody({ k: "v" as unknown as object });
    const response = await sdk.invokeFunction(request);
    expect(response.httpStatusCode).toBe(200);
    expect(JSON.parse(response.result!)).toEqual({ hello: { k: "v" } });
    const requestId = wire(response).request_id;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.log).toContain(`Start invoke request '${requestId}'`);
    expect(emu.invocations.at(-1)).toMatchObject({ mode: "sync", status: 200, requestId });
  });

  it("invokes asynchronously", async () => {
    const request = new AsyncInvokeFunctionRequest()
      .withFunctionUrn(emu.urnFor("hello"))
      .withBody({ k: "async" as unknown as object });
    const response = await sdk.asyncInvokeFunction(request);
    expect(response.httpStatusCode).toBe(202);
    const requestId = wire(response).request_id;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await emu.idle();
    expect(emu.asyncResults({ requestId })[0]).toMatchObject({ status: "SUCCESS" });
  });

  it("is refused with a wrong secret key", async () => {
    const credentials = new BasicCredentials()
      .withAk(AK)
      .withSk(`${SK}x`)
      .withProjectId(emu.projectId);
    const wrong = FunctionGraphClient.newBuilder()
      .withCredential(credentials)
      .withEndpoint(emu.url)
      .build();
    const request = new InvokeFunctionRequest()
      .withFunctionUrn(emu.urnFor("hello"))
      .withXCFFRequestVersion("v1")
      .withBody({});
    const err = await wrong.invokeFunction(request).catch((e: unknown) => e);
    expect(err).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301" });
    // The SDK reads the request id of an error from the gateway's X-Request-Id header.
    expect((err as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
