import { signUp } from "@memstore/api/identity";
import { publishCube } from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import { createVault } from "@memstore/api/vaults";
import type { Subject } from "@memstore/core";
import { entitlements, listings } from "@memstore/db";
import type { Standin } from "@memstore/stripe-standin";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PortalTestbed, POLL, visible } from "./portal.ts";

/**
 * Buying and selling in the portal, in a real browser, with payments through the Stripe stand-in:
 * a visitor browses a paid listing without signing in, signs in, pays on the hosted checkout page
 * and installs it; the publisher edits its price on the cube page, sees the sale on the Sales page
 * and revokes the buyer's entitlement with a refund.
 */
const PASSWORD = "correct horse battery";

async function signIn(page: Page, email: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * The commerce scenario, run on the portal test's own server and browser (one Next.js compile for
 * both): `get` gives the testbed and the stand-in its payments go to.
 */
export function describeCommerce(get: () => { bed: PortalTestbed; standin: Standin }) {
  let bed: PortalTestbed;
  let standin: Standin;
  const state: { cubeId?: string; listingId?: string } = {};

  beforeAll(async () => {
    ({ bed, standin } = get());
    const ctx = bed.t.ctx;
    const made = await signUp(ctx, {
      name: "Paula Publisher",
      email: "paula@charts.example.com",
      password: PASSWORD,
      organization: "Harbour Charts",
    });
    const publisher: Subject = { kind: "user", userId: made.user_id, orgId: made.org_id, role: "owner" };
    const { cube } = await publishCube(
      ctx,
      publisher,
      {
        slug: "tidal-atlas",
        type: "plaintext",
        title: "Tidal Atlas",
        description: "Tide windows for every berth.",
        tags: ["tides"],
      },
      {
        manifest: {},
        payload: "# Tides\n\nBerth 7 is reachable two hours either side of high water.\n",
        contentType: "text/markdown",
      },
    );
    await bed.t.runner.idle();
    const listing = await createListing(ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "one_time", amount_cents: 1500, currency: "eur" },
    });
    await publishListing(ctx, publisher, listing.id);
    await bed.t.runner.idle();
    Object.assign(state, { cubeId: cube.id, listingId: listing.id });

    const buyer = await signUp(ctx, {
      name: "Sid Subscriber",
      email: "sid@coastal.example.com",
      password: PASSWORD,
      organization: "Coastal Ops",
    });
    await createVault(
      ctx,
      { kind: "user", userId: buyer.user_id, orgId: buyer.org_id, role: "owner" },
      { name: "Harbour agents" },
    );
  }, 300_000);

  describe("commerce in the portal", { timeout: 600_000 }, () => {
    afterEach(() => {
      expect(bed.pageErrors.splice(0)).toEqual([]);
    });

    it("a visitor browses a paid listing, signs in, pays on the checkout page and installs it", async () => {
      const { page } = await bed.person();
      await page.goto(`/store/${state.listingId}`);
      await visible(page.getByRole("heading", { name: "Tidal Atlas" }));
      await visible(page.getByText(/Test mode: payments go to a test provider/));
      await visible(page.getByRole("heading", { name: "15.00 EUR" }));
      await page.getByRole("link", { name: "Sign in to get it" }).click();
      await page.waitForURL("**/signin?next=*");
      await signIn(page, "sid@coastal.example.com");
      await page.waitForURL(`**/store/${state.listingId}`);

      await page.getByRole("button", { name: "Buy" }).click();
      await page.waitForURL(`${standin.url}/pay/**`);
      await visible(page.getByRole("heading", { name: "Pay 15.00 EUR" }));
      await bed.screenshot(page, "checkout-page");
      await page.getByLabel("Card number").fill("4000 0000 0000 0002");
      await page.getByRole("button", { name: "Pay" }).click();
      await visible(page.getByRole("alert").filter({ hasText: "Your card was declined." }));
      await page.getByLabel("Card number").fill("4242 4242 4242 4242");
      await page.getByRole("button", { name: "Pay" }).click();
      await page.waitForURL(`**/store/${state.listingId}?checkout=paid`);
      await visible(page.getByText("Your organisation has this listing."));

      await page.getByRole("button", { name: "Install" }).click();
      await visible(page.getByText("Installed v1.0.0"));
      await bed.screenshot(page, "bought-and-installed");

      await page.getByRole("link", { name: "Billing" }).click();
      await visible(page.getByRole("heading", { name: "Billing" }));
      const row = page.getByRole("row").filter({ hasText: "Tidal Atlas" });
      await expect.poll(() => row.textContent(), POLL).toContain("15.00 EUR");
      expect(await page.getByText("Spent:").textContent()).toContain("15.00 EUR");
    });

    it("a publisher edits the price, sees the sale and revokes the buyer's entitlement with a refund", async () => {
      const { page } = await bed.person();
      await page.goto("/signin");
      await signIn(page, "paula@charts.example.com");
      await page.waitForURL("**/store");
      // The publisher manages its own listing rather than buying it.
      await page.goto(`/store/${state.listingId}`);
      await visible(page.getByText("Your organisation publishes this listing."));
      expect(await page.getByRole("button", { name: "Buy" }).count()).toBe(0);

      await page.goto(`/studio/cubes/${state.cubeId}`);
      await visible(page.getByRole("heading", { name: "Listing · 15.00 EUR" }));
      const amount = page.getByLabel("Amount");
      await amount.fill("nineteen");
      await page.getByRole("button", { name: "Save listing" }).click();
      await visible(page.getByText("Enter a number"));
      await amount.fill("19.00");
      await page.getByRole("button", { name: "Save listing" }).click();
      await visible(page.getByRole("heading", { name: "Listing · 19.00 EUR" }));
      const [listing] = await bed.t.ctx.db.select().from(listings).where(eq(listings.id, state.listingId!));
      expect(listing!.pricing).toEqual({ model: "one_time", amount_cents: 1900, currency: "eur" });

      await page.getByRole("link", { name: "Sales" }).click();
      await visible(page.getByRole("heading", { name: "Sales", exact: true }));
      const sold = page.getByRole("table", { name: "Sales in the last 30 days" });
      await expect.poll(() => sold.textContent(), POLL).toContain("15.00 EUR");
      // Money on the chart is in the listing's currency, not in cents.
      const revenue = page.getByRole("figure").filter({ hasText: "Revenue per listing (EUR)" });
      await visible(revenue);
      expect(await revenue.locator("svg text").allTextContents()).toContain("15.00 EUR");
      await bed.screenshot(page, "sales");

      const holders = page.getByRole("table", { name: "Holders of Tidal Atlas" });
      const holder = holders.getByRole("row").filter({ hasText: "Coastal Ops" });
      await holder.getByRole("button", { name: "Revoke" }).click();
      await holder.getByPlaceholder("Reason (the holder sees it)").fill("Bought by mistake; refunded");
      await holder.getByRole("checkbox", { name: "Refund" }).check();
      await holder.getByRole("button", { name: "Confirm revoke" }).click();
      await expect.poll(() => holder.textContent(), POLL).toContain("Bought by mistake; refunded");
      // The sale's row now shows it refunded, to the cent.
      const refunded = sold.getByRole("row").filter({ hasText: "Tidal Atlas" }).getByRole("cell").nth(3);
      await expect.poll(() => refunded.textContent(), POLL).toBe("15.00 EUR");

      const [held] = await bed.t.ctx.db
        .select()
        .from(entitlements)
        .where(eq(entitlements.listingId, state.listingId!));
      expect(held).toMatchObject({ state: "revoked", revokedReason: "Bought by mistake; refunded" });
      expect(standin.objects("refund")).toEqual([expect.objectContaining({ amount: 1500, currency: "eur" })]);
    });
  });
}
