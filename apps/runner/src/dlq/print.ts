/** How `dlq list` and `dlq show` print dead letters: a line each, JSON lines, or one in full. */
import { type DeadLetterEntry, parseUrn, type StoredDeadLetter } from "@fgconnect/core";

/** `package:name` of a function URN (the URN itself when it is not one). */
export function shortFunction(urn: string): string {
  try {
    const f = parseUrn(urn);
    return `${f.package}:${f.name}`;
  } catch {
    return urn;
  }
}

function why(entry: DeadLetterEntry): string {
  return entry.error ? `${entry.reason} (${entry.error.code})` : entry.reason;
}

export const LIST_HEADER =
  "ID\tDEAD-LETTERED AT\tROUTE\tFUNCTION\tREASON\tATTEMPTS\tRECORD\tREPLAYED";

export function listLine({ entry, replayed }: StoredDeadLetter): string {
  return [
    entry.id,
    entry.deadLetteredAt,
    entry.route,
    shortFunction(entry.target),
    why(entry),
    entry.attempts,
    entry.record.id,
    replayed ? "yes" : entry.replayOf ? `no (replay of ${entry.replayOf})` : "no",
  ].join("\t");
}

export function jsonLine({ entry, replayed }: StoredDeadLetter): string {
  return JSON.stringify({ ...entry, replayed });
}

export function showEntry({ entry, replayed }: StoredDeadLetter, location: string): string {
  return `${JSON.stringify({ ...entry, replayed, store: location }, null, 2)}\n`;
}
