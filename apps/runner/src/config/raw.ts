/** Reading the config as written (before the schema), for checks that must run on a broken file. */
export type Raw = Record<string, unknown>;

export function rawObject(value: unknown): Raw | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Raw)
    : undefined;
}

export function rawList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function rawString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Records one problem at a path; the caller knows the lines. */
export type Report = (path: (string | number)[], message: string) => void;
