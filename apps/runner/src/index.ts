export { ConfigError, type ConfigIssue } from "./config/errors.js";
export { loadConfig, parseConfig } from "./config/load.js";
export { type Config, configSchema } from "./config/schema.js";
export { registry } from "./connectors.js";
export { type Daemon, startDaemon } from "./daemon.js";
export { builtInConnectors, ConnectorRegistrationError, ConnectorRegistry } from "./registry.js";
