import { formatUrn, parseUrn } from "@fgconnect/core";
import { ApiError, badRequest, invalidUrn, notFound } from "./errors.js";
import { FaultState } from "./fault.js";
import {
  type FunctionConfig,
  type FunctionDefinition,
  type Handler,
  type ResolvedFunction,
  resolveFunction,
} from "./function-config.js";

/** A URN in a request, resolved to the function that runs it. */
export interface Target {
  fn: ResolvedFunction;
  /** The canonical 8-field URN that was called. */
  urn: string;
  version: string;
  /** The alias called, or "". */
  alias: string;
}

const CACHE_LIMIT = 1024;

/** The emulator's functions, found by package + name; also holds each function's faults. */
export class Registry {
  private readonly functions = new Map<string, ResolvedFunction>();
  private readonly faults = new Map<ResolvedFunction, FaultState>();
  /** Resolved targets by "<path project>/<urn as sent>": the hot path parses a URN once. */
  private readonly cache = new Map<string, Target>();

  constructor(
    readonly projectId: string,
    readonly region: string,
    private readonly random?: () => number,
  ) {}

  register(key: string, def: Handler | FunctionDefinition): ResolvedFunction {
    const { handler, config } =
      typeof def === "function" ? { handler: def, config: undefined } : def;
    const fn = resolveFunction(key, handler, config as FunctionConfig | undefined);
    const id = `${fn.package}:${fn.name}`;
    const previous = this.functions.get(id);
    if (previous) this.faults.delete(previous);
    this.functions.set(id, fn);
    if (config?.fault) this.faults.set(fn, new FaultState(config.fault, this.random));
    this.cache.clear();
    return fn;
  }

  list(): ResolvedFunction[] {
    return [...this.functions.values()];
  }

  /** Finds a function by "name" or "package:name" (for the programmatic API). */
  find(key: string): ResolvedFunction | undefined {
    return this.functions.get(key.includes(":") ? key : `default:${key}`);
  }

  fault(fn: ResolvedFunction): FaultState | undefined {
    return this.faults.size === 0 ? undefined : this.faults.get(fn);
  }

  setFault(fn: ResolvedFunction, state: FaultState | undefined): void {
    if (state) this.faults.set(fn, state);
    else this.faults.delete(fn);
  }

  /**
   * Resolves the `{function_urn}` of a request made under `/{pathProject}/`: a full URN or a short
   * form (filled with the path's project and the emulator's region).
   */
  resolve(pathProject: string, rawUrn: string): Target {
    const key = `${pathProject}/${rawUrn}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const target = this.lookup(pathProject, rawUrn);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, target);
    return target;
  }

  private lookup(pathProject: string, rawUrn: string): Target {
    let urn: ReturnType<typeof parseUrn>;
    try {
      urn = parseUrn(rawUrn, { region: this.region, projectId: pathProject });
    } catch (err) {
      throw invalidUrn(err instanceof Error ? err.message : String(err));
    }
    if (urn.projectId !== pathProject) {
      throw badRequest(
        `the project id in the path (${pathProject}) differs from the URN's (${urn.projectId})`,
      );
    }
    const urnText = formatUrn(urn);
    if (urn.projectId !== this.projectId || urn.region !== this.region) {
      throw notFound(
        `function ${urnText} not found: the emulator serves project ${this.projectId} in region ${this.region}`,
      );
    }
    const fn = this.functions.get(`${urn.package}:${urn.name}`);
    if (!fn) throw notFound(`function ${urnText} not found`);

    let version = urn.version ?? "latest";
    let alias = "";
    if (urn.alias !== undefined) {
      alias = urn.alias;
      if (fn.aliases) {
        const aliased = fn.aliases.get(alias);
        if (aliased === undefined)
          throw new ApiError(404, "FSS.1053", `alias ${alias} of ${urnText} not found`);
        version = aliased;
      }
    } else if (fn.versions && !fn.versions.has(version)) {
      throw new ApiError(404, "FSS.1052", `version ${version} of ${urnText} not found`);
    }
    return { fn, urn: urnText, version, alias };
  }
}
