import { loadConfig } from "../config/load.js";
import {
  type ConfigOptions,
  configPath,
  EXIT_OK,
  type RegisterCommand,
  withConfigOptions,
} from "./shared.js";

async function validate(options: ConfigOptions): Promise<number> {
  const file = configPath(options);
  const config = await loadConfig(file);
  process.stdout.write(
    `${file}: valid (${Object.keys(config.connectors).length} connector(s), ${config.routes.length} route(s))\n`,
  );
  return EXIT_OK;
}

export const registerValidate: RegisterCommand = (program, done) => {
  withConfigOptions(
    program.command("validate").description("check a config file and report every problem in it"),
  ).action(async (o) => {
    done(await validate(o));
  });
};
