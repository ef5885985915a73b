import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (package `chromium`), which scripts/test-prereqs.mjs installs. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches the system's headless Chromium through playwright-core (never Playwright's own
 * browser download). Sandboxing is off since CI runs as root; the rest keeps it quiet and
 * offline: no background networking, updates, sync or QUIC.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (Debian/Ubuntu)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
