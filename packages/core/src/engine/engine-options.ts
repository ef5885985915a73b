/**
 * Checking what an engine is built from, before anything starts: connector names, limits and
 * the dead-letter sink. Each refusal is an EngineConfigError naming what is wrong.
 */
import { z } from "zod";
import type { Connector } from "../connector.js";
import type { DeadLetterSink } from "../dead-letters.js";
import { createDeadLetterSink } from "./dead-letter.js";
import { EngineConfigError } from "./router.js";
import {
  type DeadLetterConfigInput,
  type Limits,
  type LimitsInput,
  limitsSchema,
} from "./schema.js";

export function checkNames(connectors: readonly Connector[]): void {
  const seen = new Set<string>();
  for (const c of connectors) {
    if (seen.has(c.name)) throw new EngineConfigError(`two connectors are named "${c.name}"`);
    seen.add(c.name);
  }
}

export function parseLimits(input: LimitsInput | undefined): Limits {
  const parsed = limitsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new EngineConfigError(`limits are invalid:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The sink given, or one made from its config (then the engine owns it and closes it). */
export function deadLetterSinkOf(option: DeadLetterSink | DeadLetterConfigInput): {
  sink: DeadLetterSink;
  owned: boolean;
} {
  if (isSink(option)) return { sink: option, owned: false };
  try {
    return { sink: createDeadLetterSink(option), owned: true };
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    throw new EngineConfigError(`deadLetter is invalid:\n${z.prettifyError(error)}`, {
      cause: error,
    });
  }
}

function isSink(value: DeadLetterSink | DeadLetterConfigInput): value is DeadLetterSink {
  return typeof (value as DeadLetterSink).write === "function";
}
