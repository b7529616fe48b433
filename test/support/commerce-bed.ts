import { type Standin, startStripeStandin } from "@memstore/stripe-standin";
import { openHttpTestbed } from "./http-testbed.ts";

/**
 * An HTTP testbed that takes payments: the real Stripe SDK pointed at a local stand-in, whose
 * signed webhooks reach this server's endpoint. `env` adds to (or overrides) the configuration.
 */
export async function openCommerceTestbed(env: Record<string, string> = {}) {
  const standin: Standin = await startStripeStandin();
  const bed = await openHttpTestbed({
    STRIPE_SECRET_KEY: standin.apiKey,
    STRIPE_WEBHOOK_SECRET: standin.webhookSecret,
    STRIPE_API_URL: standin.url,
    ...env,
  });
  await standin.setWebhookEndpoint(`${bed.server.url}/api/v1/payments/stripe/webhook`);
  return {
    bed,
    standin,
    async close() {
      await bed.close();
      await standin.close();
    },
  };
}
