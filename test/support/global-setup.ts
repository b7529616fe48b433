import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * `npm test` does its own set-up on a fresh machine: PostgreSQL with pgvector and Redis started (or
 * pgvector built from Debian's source package), and Debian's Chromium for the browser tests, by the
 * same scripts CI runs. Each skips what is already there, so a ready machine pays a few queries.
 * Without root, what cannot be started or installed is said in one line, and the run stops there.
 */
const SCRIPTS = ["ensure-services.sh", "ensure-chromium.sh"];

export default function setup(): void {
  for (const script of SCRIPTS) {
    const path = fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url));
    const run = spawnSync("bash", [path], { encoding: "utf8" });
    if (run.status === 0) continue;
    const root = process.getuid?.() === 0;
    const why = root
      ? (run.stderr.trim().split("\n").pop() ?? "failed")
      : "it needs root (apt-get, pg_ctlcluster)";
    throw new Error(
      `npm test could not set up its services: scripts/${script}: ${why}; run \`sudo bash scripts/${script}\` once, then npm test`,
    );
  }
}
