import { InvalidUrnError } from "./errors.js";

/** A function's identity, fully resolved. */
export interface FunctionUrn {
  region: string;
  projectId: string;
  package: string;
  name: string;
  /** `latest`, a published version, or undefined when an alias is used. */
  version?: string;
  alias?: string;
}

export interface UrnDefaults {
  region?: string;
  projectId?: string;
}

const MAX_URN_LENGTH = 269;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
const PROJECT_ID = /^[A-Za-z0-9]{32}$/;
const PACKAGE = /^[A-Za-z0-9_-]{1,64}$/;
const NAME = /^[A-Za-z]([A-Za-z0-9_-]{0,58}[A-Za-z0-9])?$/;
const ALIAS = /^[A-Za-z]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$/;
const VERSION = /^(latest|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/**
 * Parses a full URN (`urn:fss:<region>:<project>:function:<package>:<name>[:<version>|:!<alias>]`)
 * or one of the short forms the API accepts (`name`, `package:name`, `project:package:name`,
 * `project:package:name:version`), filling region and project from `defaults`.
 */
export function parseUrn(input: string, defaults: UrnDefaults = {}): FunctionUrn {
  const fail = (reason: string): never => {
    throw new InvalidUrnError(input, reason);
  };
  if (typeof input !== "string" || input.length === 0) fail("it is empty");
  if (input.length > MAX_URN_LENGTH) fail(`it is longer than ${MAX_URN_LENGTH} characters`);

  const parts = input.split(":");
  let region = defaults.region;
  let projectId = defaults.projectId;
  let pkg = "default";
  let name: string;
  let qualifier: string | undefined;

  if (parts[0] === "urn") {
    if (parts[1] !== "fss") fail(`the second field must be "fss", not "${parts[1] ?? ""}"`);
    if (parts.length !== 7 && parts.length !== 8) {
      fail(`a full URN has 7 or 8 colon-separated fields, this one has ${parts.length}`);
    }
    if (parts[4] !== "function") fail(`the fifth field must be "function", not "${parts[4]}"`);
    region = parts[2]!;
    projectId = parts[3]!;
    pkg = parts[5]!;
    name = parts[6]!;
    qualifier = parts[7];
  } else if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    [pkg, name] = parts as [string, string];
  } else if (parts.length === 3 || parts.length === 4) {
    projectId = parts[0]!;
    pkg = parts[1]!;
    name = parts[2]!;
    qualifier = parts[3];
  } else {
    return fail(
      "expected a full urn:fss:... URN or name, package:name, project:package:name[:version]",
    );
  }

  if (region === undefined)
    fail(
      "no region: give a full URN, or set the region (functiongraph.region in the daemon config)",
    );
  if (!REGION.test(region!)) fail(`region "${region}" is not a region name such as cn-north-4`);
  if (projectId === undefined)
    fail(
      "no project id: give a full URN, or set the project id (functiongraph.projectId in the daemon config)",
    );
  if (!PROJECT_ID.test(projectId!)) fail(`project id "${projectId}" must be 32 letters or digits`);
  if (!PACKAGE.test(pkg)) fail(`package "${pkg}" must be 1-64 letters, digits, "-" or "_"`);
  if (!NAME.test(name)) {
    fail(
      `function name "${name}" must be 1-60 letters, digits, "-" or "_", start with a letter and end with a letter or digit`,
    );
  }

  const urn: FunctionUrn = { region: region!, projectId: projectId!, package: pkg, name };
  if (qualifier === undefined || qualifier === "") {
    if (qualifier === "") fail("the version or alias after the last colon is empty");
    urn.version = "latest";
  } else if (qualifier.startsWith("!")) {
    const alias = qualifier.slice(1);
    if (!ALIAS.test(alias)) {
      fail(
        `alias "${alias}" must be 1-64 letters, digits, "-" or "_", start with a letter and end with a letter or digit`,
      );
    }
    urn.alias = alias;
  } else {
    if (!VERSION.test(qualifier))
      fail(`version "${qualifier}" must be "latest" or a published version`);
    urn.version = qualifier;
  }
  return urn;
}

/** The canonical 8-field URN. */
export function formatUrn(urn: FunctionUrn): string {
  const qualifier = urn.alias !== undefined ? `!${urn.alias}` : (urn.version ?? "latest");
  return `urn:fss:${urn.region}:${urn.projectId}:function:${urn.package}:${urn.name}:${qualifier}`;
}
