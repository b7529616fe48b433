import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname as machineName, networkInterfaces } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";

export type PortalPages = {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
};

/**
 * The names this machine answers to: its host name and every address of its interfaces. Next's dev
 * server serves its scripts only to pages loaded from an allowed host, and a person browses
 * `npm start` at any of these (127.0.0.1, a LAN address), not only at `localhost`.
 */
export function localOrigins(publicUrl: string): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.family === "IPv6" ? `[${i.address.split("%")[0]}]` : i.address] : []));
  return [...new Set(["127.0.0.1", "[::1]", machineName(), new URL(publicUrl).hostname, ...addresses])];
}

/** The portal's package (apps/web), where Next reads its pages and writes its builds. */
const WEB_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** Whether `npm run build` left a production build of the portal where next.config.ts puts it. */
export function hasPortalBuild(): boolean {
  return existsSync(join(WEB_DIR, process.env.MEMSTORE_NEXT_DIST_DIR ?? ".next", "BUILD_ID"));
}

/** The app router's pages (apps/web/app), compiled on demand (dev) or from `npm run build` (production). */
export async function startPortalPages(
  mode: "dev" | "production",
  hostname: string,
  port: number,
  publicUrl: string,
) {
  // Read by next.config.ts, which the dev server loads in this process.
  process.env.MEMSTORE_DEV_ORIGINS = localOrigins(publicUrl).join(",");
  const app = next({ dev: mode === "dev", dir: WEB_DIR, hostname, port });
  await app.prepare();
  const handler = app.getRequestHandler();
  return {
    handle: (req: IncomingMessage, res: ServerResponse) => handler(req, res),
    close: () => app.close(),
  } satisfies PortalPages;
}
