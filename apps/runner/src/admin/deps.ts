import type { Connector } from "@fgconnect/core";
import type { Registry } from "prom-client";
import type { DeadLetterService } from "../dlq/service.js";
import type { StatusBoard } from "../status/board.js";

/** What the admin routes read from the running daemon. */
export interface AdminDeps {
  registry: Registry;
  connectors: () => readonly Connector[];
  ready: () => boolean;
  /** The dead-letter sink: not ready while it cannot be written. */
  deadLetter?: () => { ok: boolean; reason?: string };
  /** More fields for /readyz's body. */
  details?: () => Record<string, unknown>;
  /** `admin.token`: the bearer token that requests changing state must carry. A secret. */
  token?: string;
  /** What the status page and `/api/status` show; without it they answer 404. */
  status?: StatusBoard;
  /** List, inspect and replay dead letters (`/api/dead-letters`); without it, 404. */
  deadLetters?: DeadLetterService;
  /**
   * Dead-letter reads need the token too (they hold the events): set when the admin server
   * listens beyond loopback. The status page then lists none on the server.
   */
  guardDeadLetters?: boolean;
}
