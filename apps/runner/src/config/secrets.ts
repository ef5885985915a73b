/**
 * Config fields whose values are secret wherever they are nested (any connector's, present or
 * future): an error about them says what is wrong, never what was written.
 */
const SECRET_FIELDS = new Set([
  "password",
  "token",
  "secret",
  "secretKey",
  "accessKey",
  "secretAccessKey",
  "sessionToken",
  "securityToken",
  "key",
  "privateKey",
  "sasl",
  "credentials",
]);

export function isSecretPath(path: readonly (string | number)[]): boolean {
  return path.some((p) => typeof p === "string" && SECRET_FIELDS.has(p));
}
