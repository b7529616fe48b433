import { loadConfig, openRuntime, startSweeps } from "@memstore/api";
import { startStripeStandin } from "@memstore/stripe-standin";
import { InProcessRunner } from "@memstore/workers";
import { startHttpServer } from "@memstore/web";
import { createProcessors } from "@memstore/workers";
import { Command } from "commander";
import { stopOnSignals } from "../signals.ts";
import { DEMO_PASSWORD, seedDemo } from "../demo.ts";

export function devCommand(): Command {
  return new Command("dev")
    .description("embedded mode: database, blobs and jobs in this process, demo data, web on PORT")
    .option("--no-demo", "do not seed the demo store")
    .action(async (options: { demo: boolean }) => {
      const started = Date.now();
      // No Stripe key: payments go to a local stand-in in this process (test mode, test cards), so
      // the demo can buy a paid listing end to end. A configured key is never replaced.
      const standin = process.env.STRIPE_SECRET_KEY ? null : await startStripeStandin();
      const config = loadConfig(
        standin
          ? {
              ...process.env,
              STRIPE_SECRET_KEY: standin.apiKey,
              STRIPE_WEBHOOK_SECRET: standin.webhookSecret,
              STRIPE_API_URL: standin.url,
            }
          : process.env,
      );
      const runner = new InProcessRunner((line) => console.log(`[jobs] ${line}`));
      const ctx = await openRuntime(config, runner, {
        migrate: true,
        log: (line) => console.log(`[memstore] ${line}`),
      });
      runner.register(createProcessors(ctx));
      // Events left unfanned by a previous run (it stopped between commit and enqueue) go out now.
      startSweeps(ctx);
      const demo = options.demo ? await seedDemo(ctx, () => runner.idle()) : null;
      const server = await startHttpServer(ctx, {
        port: config.PORT,
        host: config.HOST,
        portal: config.PORTAL ?? "dev",
      });
      await standin?.setWebhookEndpoint(`${server.url}/api/v1/payments/stripe/webhook`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const lines = [
        "",
        `MemStore is ready in ${seconds} s (${ctx.database.kind === "pglite" ? "embedded database" : "Postgres"}, data in ${config.dataDir})`,
        `  Portal and API:   ${server.url}`,
        `  API reference:    ${server.url}/api/v1/openapi.json`,
        standin
          ? `  Payments:         test mode — a local Stripe stand-in at ${standin.url} (card 4242 4242 4242 4242 pays)`
          : "  Payments:         Stripe (STRIPE_SECRET_KEY)",
      ];
      if (demo) {
        lines.push(
          `  Demo publisher:   ${demo.publisher.email} / ${DEMO_PASSWORD}`,
          `  Demo subscriber:  ${demo.subscriber.email} / ${DEMO_PASSWORD}`,
          `  Demo agent key:   ${demo.agent_key}  (vault ${demo.vault_id})`,
          "",
          "  Try it:",
          `    curl -s ${server.url}/api/v1/vaults/${demo.vault_id}/search \\`,
          `      -H "authorization: Bearer ${demo.agent_key}" -H "content-type: application/json" \\`,
          `      -d '{"query": "VAT rate in France"}'`,
        );
      }
      // Handlers first: whoever waits for the ready line may signal at once.
      stopOnSignals(async () => {
        await server.close();
        await ctx.close();
        await standin?.close();
      });
      console.log(lines.join("\n"));
    });
}
