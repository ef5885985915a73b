/** One problem in the config file, located by its path and, when known, its line. */
export interface ConfigIssue {
  path: (string | number)[];
  line?: number;
  message: string;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out || "(top level)";
}

/** Bad config: every issue found, reported at once. The CLI prints it and exits 2. */
export class ConfigError extends Error {
  readonly code = "INVALID_CONFIG";
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file}: ${issues.length} problem${issues.length === 1 ? "" : "s"} in the config\n${issues
        .map((i) => `  ${file}${i.line ? `:${i.line}` : ""} ${formatPath(i.path)}: ${i.message}`)
        .join("\n")}`,
    );
    this.name = "ConfigError";
  }
}
