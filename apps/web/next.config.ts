import type { NextConfig } from "next";

/**
 * The portal's pages. The app runs inside MemStore's own HTTP server (apps/web/src/server.ts),
 * which owns /api/* (REST, tRPC, auth, uploads); Next renders everything else.
 */
const config: NextConfig = {
  reactStrictMode: true,
  // Shared zod schemas and view types come from workspace packages written in TypeScript.
  transpilePackages: ["@memstore/core", "@memstore/api"],
  // The token counter of the convert stage: megabytes of tables, loaded by Node, never bundled.
  serverExternalPackages: ["gpt-tokenizer"],
  // The root `npm run typecheck` and `npm run lint` cover the portal's code.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // Request lines carry query strings (a search, a form that fell back to GET): none reach the log.
  logging: { incomingRequests: false },
  // `npm start` runs the portal in dev mode for people trying the product: Next's own dev-tools
  // button would be their first Tab stop, ahead of the page's skip link.
  devIndicators: false,
  // The dev server serves its scripts to pages loaded from this machine's own names and addresses
  // (set by apps/web/src/portal/next-app.ts), so the portal works however the machine is browsed.
  allowedDevOrigins: process.env.MEMSTORE_DEV_ORIGINS?.split(",") ?? [],
  // Tests run their own dev server beside a developer's `npm start`; each needs its own build folder.
  distDir: process.env.MEMSTORE_NEXT_DIST_DIR ?? ".next",
};

export default config;
