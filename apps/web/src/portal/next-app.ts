import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";

export type PortalPages = {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
};

/** The app router's pages (apps/web/app), compiled on demand (dev) or from `npm run build` (production). */
export async function startPortalPages(mode: "dev" | "production", hostname: string, port: number) {
  const dir = fileURLToPath(new URL("../..", import.meta.url));
  const app = next({ dev: mode === "dev", dir, hostname, port });
  await app.prepare();
  const handler = app.getRequestHandler();
  return {
    handle: (req: IncomingMessage, res: ServerResponse) => handler(req, res),
    close: () => app.close(),
  } satisfies PortalPages;
}
