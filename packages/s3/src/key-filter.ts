import type { ResolvedS3Options } from "./options.js";

/**
 * Which keys the connector delivers: under `prefix`, ending in one of `suffixes` (if any), and
 * neither under the move action's target prefix nor the checkpoint object itself — both are
 * written by the connector and would otherwise come back as new objects.
 */
export function keyFilter(
  options: ResolvedS3Options,
  checkpointKey?: string,
): (key: string) => boolean {
  const { prefix, suffixes } = options;
  const movePrefix =
    options.afterDelivery.action === "move" ? options.afterDelivery.movePrefix : undefined;
  return (key) =>
    key.startsWith(prefix) &&
    (suffixes.length === 0 || suffixes.some((s) => key.endsWith(s))) &&
    (movePrefix === undefined || !key.startsWith(movePrefix)) &&
    key !== checkpointKey;
}
