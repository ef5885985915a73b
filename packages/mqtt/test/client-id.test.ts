import { describe, expect, it } from "vitest";
import { clientIdentity, persistentSession } from "../src/client-id.js";

const k8s = { KUBERNETES_SERVICE_HOST: "10.96.0.1" };

describe("clientIdentity", () => {
  it("uses clientId as given", () => {
    expect(
      clientIdentity(
        "plant",
        { clientId: "mine" },
        { FGCONNECT_REPLICA_ID: "r" },
        "api-7d9c5b8f6d-x2x7q",
      ),
    ).toEqual({ clientId: "mine" });
  });

  it("derives the default from the connector and FGCONNECT_REPLICA_ID, whatever the host name", () => {
    expect(
      clientIdentity(
        "plant",
        {},
        { ...k8s, FGCONNECT_REPLICA_ID: "fgc-2" },
        "fgc-7d9c5b8f6d-x2x7q",
      ),
    ).toEqual({ clientId: "fgconnect-plant-fgc-2" });
    // Two connectors of one replica have ids of their own.
    expect(clientIdentity("orders", {}, { FGCONNECT_REPLICA_ID: "fgc-2" }, "h").clientId).toBe(
      "fgconnect-orders-fgc-2",
    );
  });

  it("takes a StatefulSet pod's host name, which stays with the replica", () => {
    expect(clientIdentity("plant", {}, k8s, "fgconnect-0")).toEqual({
      clientId: "fgconnect-plant-fgconnect-0",
    });
    expect(clientIdentity("plant", {}, k8s, "fgconnect-12")).toEqual({
      clientId: "fgconnect-plant-fgconnect-12",
    });
  });

  it("takes a VM's host name as stable", () => {
    expect(clientIdentity("plant", {}, {}, "gateway-north.example.com")).toEqual({
      clientId: "fgconnect-plant-gateway-north.example.com",
    });
  });

  it("says when the host name is new with every pod or container", () => {
    const deployment = clientIdentity("plant", {}, k8s, "fgconnect-7d9c5b8f6d-x2x7q");
    expect(deployment.clientId).toBe("fgconnect-plant-fgconnect-7d9c5b8f6d-x2x7q");
    expect(deployment.changes).toMatch(/Kubernetes pod name/);
    expect(clientIdentity("plant", {}, k8s, "fgconnect-agent-b8x4z").changes).toMatch(/pod name/);
    expect(clientIdentity("plant", {}, {}, "3f2a9c1b7e4d").changes).toMatch(/container id/);
    // Outside Kubernetes a name like a pod's is somebody's chosen host name.
    expect(clientIdentity("plant", {}, {}, "fgconnect-7d9c5b8f6d-x2x7q").changes).toBeUndefined();
  });

  it("keeps to characters every broker accepts, at most 128", () => {
    expect(clientIdentity("a b/c", {}, { FGCONNECT_REPLICA_ID: " r#1 " }, "h").clientId).toBe(
      "fgconnect-a-b-c-r-1",
    );
    expect(clientIdentity("x".repeat(200), {}, {}, "h").clientId).toHaveLength(128);
  });
});

describe("persistentSession", () => {
  it("is kept unless clean, or an MQTT 5 session that expires at once", () => {
    const o = { clean: false, protocolVersion: 5 as const, sessionExpirySeconds: 86_400 };
    expect(persistentSession(o)).toBe(true);
    expect(persistentSession({ ...o, clean: true })).toBe(false);
    expect(persistentSession({ ...o, sessionExpirySeconds: 0 })).toBe(false);
    expect(persistentSession({ ...o, protocolVersion: 4, sessionExpirySeconds: 0 })).toBe(true);
  });
});
