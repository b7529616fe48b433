import { defineConfig } from "drizzle-kit";

// Generation only (offline): migrations are applied by `memstore migrate` and at start-up.
export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/db/src/schema.ts",
  out: "./packages/db/migrations",
});
