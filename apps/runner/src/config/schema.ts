import { coordinationSchema, deadLetterSchema, limitsSchema, routeSchema } from "@fgconnect/core";
import { z } from "zod";
import { connectorConfigSchema } from "../connectors.js";

const authSchema = z
  .discriminatedUnion("type", [
    z
      .object({
        type: z
          .literal("none")
          .describe("No credentials (the embedded emulator, or an emulator run with --no-auth)."),
      })
      .strict(),
    z
      .object({
        type: z.literal("token"),
        token: z
          .string()
          .min(1)
          .describe("An IAM token, sent as X-Auth-Token. Use ${ENV_VAR}; never commit it."),
      })
      .strict()
      .describe("A static IAM token."),
    z
      .object({
        type: z.literal("password"),
        username: z.string().min(1).describe("IAM user name."),
        password: z.string().min(1).describe("IAM user password. Use ${ENV_VAR}; never commit it."),
        domain: z.string().min(1).describe("Account (domain) name that owns the IAM user."),
        iamEndpoint: z
          .url()
          .optional()
          .describe("IAM endpoint. Default: https://iam.<region>.myhuaweicloud.com."),
      })
      .strict()
      .describe("IAM password login; the token is cached and refreshed before it expires."),
    z
      .object({
        type: z.literal("aksk"),
        accessKey: z.string().min(1).optional().describe("Access key. Default: $CLOUD_SDK_AK."),
        secretKey: z.string().min(1).optional().describe("Secret key. Default: $CLOUD_SDK_SK."),
        securityToken: z
          .string()
          .min(1)
          .optional()
          .describe("Security token of temporary credentials."),
      })
      .strict()
      .describe("AK/SK request signing (SDK-HMAC-SHA256)."),
  ])
  .describe("How requests to FunctionGraph are authenticated.");

const functiongraphSchema = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe(
        "Invocation endpoint, e.g. https://functiongraph.cn-north-4.myhuaweicloud.com. Default: from `region`, or the embedded emulator.",
      ),
    region: z
      .string()
      .min(1)
      .optional()
      .describe("Region, e.g. cn-north-4; gives the endpoint and completes short URNs."),
    projectId: z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, "a project id is 32 letters or digits")
      .optional()
      .describe(
        "Project id (32 letters or digits). Default with the embedded emulator: the emulator's.",
      ),
    auth: authSchema.default({ type: "none" }),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("Timeout of one invocation, in ms."),
    connections: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe("Keep-alive connections to the endpoint."),
  })
  .strict()
  .describe("Where and how to invoke FunctionGraph.");

const emulatorSchema = z
  .object({
    functions: z
      .string()
      .min(1)
      .describe("Folder of FunctionGraph Node.js handlers, one per subfolder or file."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe("Port of the emulator's HTTP server; 0 picks a free one."),
  })
  .strict()
  .describe(
    "Runs a local FunctionGraph emulator inside the daemon and invokes it (no cloud account needed).",
  );

/** The whole `fgconnect.yaml`: the single source of validation, defaults and `fgconnect schema`. */
export const configSchema = z
  .object({
    functiongraph: functiongraphSchema.prefault({}),
    emulator: emulatorSchema.optional(),
    connectors: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "use 1-64 letters, digits, '.', '_' or '-'"),
        connectorConfigSchema,
      )
      .refine((c) => Object.keys(c).length > 0, "declare at least one connector")
      .describe("Sources of events, by name."),
    routes: z.array(routeSchema).min(1).describe("Which records go to which functions, and how."),
    deadLetter: deadLetterSchema.default({
      type: "file",
      path: ".fgconnect/dead-letter.jsonl",
      fsync: true,
    }),
    limits: limitsSchema.prefault({}),
    coordination: coordinationSchema.optional(),
    admin: z
      .object({
        enabled: z.boolean().default(true).describe("Serve /healthz, /readyz and /metrics."),
        host: z.string().default("127.0.0.1").describe("Address to listen on."),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(9464)
          .describe("Port to listen on; 0 picks a free one."),
      })
      .strict()
      .prefault({})
      .describe("The admin HTTP server."),
    log: z
      .object({
        level: z
          .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
          .default("info")
          .describe("Log level; $FGCONNECT_LOG_LEVEL overrides it."),
        pretty: z
          .boolean()
          .optional()
          .describe("Human-readable lines. Default: when stdout is a terminal."),
        invocations: z
          .boolean()
          .default(false)
          .describe(
            "Log every invocation at info, with its request id, duration and result (noisy on busy streams).",
          ),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        deadlineMs: z
          .number()
          .int()
          .min(0)
          .default(20_000)
          .describe(
            "On SIGTERM/SIGINT, how long in-flight deliveries may finish before the rest is handed back unacknowledged.",
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set(Object.keys(config.connectors ?? {}));
    config.routes?.forEach((route, i) => {
      if (!names.has(route.from)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "from"],
          message: `no connector named "${route.from}"; declared: ${[...names].join(", ") || "none"}`,
        });
      }
    });
    if (config.coordination) checkSharedState(config.connectors ?? {}, ctx);
    const fg = config.functiongraph;
    if (!config.emulator && !fg.endpoint && !fg.region) {
      ctx.addIssue({
        code: "custom",
        path: ["functiongraph"],
        message:
          "set functiongraph.region or functiongraph.endpoint, or add an `emulator` section to run locally",
      });
    }
    if (!config.emulator && !fg.projectId) {
      ctx.addIssue({
        code: "custom",
        path: ["functiongraph", "projectId"],
        message: "required when not using the embedded emulator",
      });
    }
  });

export type Config = z.output<typeof configSchema>;

const DEFAULT_CRON_STATE_FILE = ".fgconnect/cron-state.json";

/** With replicas, state that only one machine can see would split them: refused. */
function checkSharedState(
  connectors: Record<string, z.output<typeof connectorConfigSchema>>,
  ctx: z.core.$RefinementCtx,
): void {
  for (const [name, c] of Object.entries(connectors)) {
    if (c.type === "cron" && c.stateFile !== DEFAULT_CRON_STATE_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["connectors", name, "stateFile"],
        message:
          "with coordination the cron state is kept in the coordination store, shared by the replicas; remove stateFile",
      });
    }
    if (c.type === "s3" && c.mode === "poll" && c.checkpoint.store === "file") {
      ctx.addIssue({
        code: "custom",
        path: ["connectors", name, "checkpoint", "store"],
        message:
          "with coordination a local checkpoint file is seen by one replica only; set checkpoint.store: bucket",
      });
    }
  }
}
