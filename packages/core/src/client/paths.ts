/** The request paths of each function, by URN: built once per URN string, in a bounded cache. */
import type { ResolvedOptions } from "./options.js";
import { formatUrn, parseUrn } from "./urn.js";

const MAX_CACHED_URNS = 4096;

/** The request paths of one function, built once per URN string and cached. */
export interface FunctionPaths {
  sync: string;
  async: string;
  legacy: string;
  status: string;
}

export class FunctionPathCache {
  readonly #paths = new Map<string, FunctionPaths>();
  readonly #urnDefaults: { region?: string; projectId: string };

  constructor(private readonly o: ResolvedOptions) {
    this.#urnDefaults = { projectId: o.projectId };
    if (o.region !== undefined) this.#urnDefaults.region = o.region;
  }

  /**
   * Short URNs are completed with the client's region and project; the canonical URN goes into
   * the path raw (literal `:` and `!`), as the official SDK sends it.
   */
  of(urn: string): FunctionPaths {
    let paths = this.#paths.get(urn);
    if (paths === undefined) {
      const full = formatUrn(parseUrn(urn, this.#urnDefaults));
      const v2 = `${this.o.basePath}/v2/${this.o.projectId}/fgs/functions/${full}`;
      paths = {
        sync: `${v2}/invocations`,
        async: `${v2}/invocations-async`,
        legacy: `${this.o.basePath}/v1.0/${this.o.projectId}/fss/functions/${full}/invocations`,
        status: `${v2}/async-invocations`,
      };
      // A bounded cache: a caller cycling through unbounded URNs must not grow memory forever.
      if (this.#paths.size >= MAX_CACHED_URNS) this.#paths.clear();
      this.#paths.set(urn, paths);
    }
    return paths;
  }
}
