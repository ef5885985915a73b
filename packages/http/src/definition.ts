import { defineConnector } from "@fgconnect/core";
import { reviveHttpRecord } from "./dead-letter-revive.js";
import { httpOptionsSchema } from "./options.js";
import { HttpConnector } from "./source.js";

/** The `http` connector type: its options, docs and factory in one place. */
export const httpConnector = defineConnector({
  type: "http",
  summary:
    "Serves HTTP routes whose requests become FunctionGraph APIG trigger events; sync routes answer the caller with the function's APIG-style result.",
  options: httpOptionsSchema,
  examples: [
    {
      title: "Two APIs on one server, each picked by a daemon route filtering on `route`",
      yaml: `port: 8080
routes:
  - { name: orders, method: POST, path: /orders }
  - { name: order, method: GET, path: "/orders/{id}" }`,
    },
    {
      title: "HTTPS with an API key and CORS",
      yaml: `port: 8443
tls: { cert: /etc/fgconnect/tls.crt, key: /etc/fgconnect/tls.key }
auth: { type: api-key, header: x-api-key, keys: ["\${API_KEY}"] }
cors: { origins: ["https://app.example.com"] }
routes:
  - { name: files, method: ANY, path: "/files/{path+}" }`,
    },
    {
      title: "A webhook signed with HMAC-SHA256",
      yaml: `auth: { type: hmac, header: x-hub-signature-256, secret: "\${WEBHOOK_SECRET}" }
routes:
  - { name: hook, method: POST, path: /hooks/github }`,
    },
  ],
  deadLetters: { revive: reviveHttpRecord },
  create: (name, options) => new HttpConnector(name, options),
});
