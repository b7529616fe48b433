import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { readAllTensors } from "@memstore/formats";
import { authenticateApiKey, signUp as signUpAccount } from "@memstore/api/identity";
import { attachOnnx, insertBaseModel, loadBaseModel } from "@memstore/api/models";
import { buildTinyDecoder } from "@memstore/inference/testing";
import { cubeVersions, queryRows, sql } from "@memstore/db";
import { submitNewVersion } from "@memstore/api/catalog";
import type { Subject } from "@memstore/core";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  modelKvSnapshot,
  PROMPT_IDS,
  TINY_CONFIG,
  TINY_TOKENIZER_SHA256,
} from "./support/binary-fixtures.ts";
import { openPortalTestbed, POLL, type PortalTestbed, visible } from "./support/portal.ts";
import { describeCommerce } from "./support/portal-commerce.ts";
import { type Standin, startStripeStandin } from "@memstore/stripe-standin";
import { stripMarks } from "@memstore/watermark";

/** A Markdown handbook with a word no other text has, so the store and the vault must find it. */
function handbook(sections: number): string {
  const parts = ["# Alpine Rescue Handbook\n"];
  for (let i = 0; i < sections; i++) {
    parts.push(
      `## Section ${i + 1}\n\nWhen crossing a glacier, rope teams keep ${i + 3} metres apart and probe for hidden crevasses. ` +
        "Avalanche transceivers are checked at the trailhead.\n",
    );
  }
  parts.push(
    "## Rare terms\n\nThe zephyrine knot holds a stretcher on steep ice and is tied before the lowering begins.\n",
  );
  return parts.join("\n");
}

async function signUp(page: Page, who: { name: string; email: string; org: string }) {
  await page.goto("/signup");
  await page.getByLabel("Your name").fill(who.name);
  await page.getByLabel("Work email").fill(who.email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByLabel("Organisation").fill(who.org);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/store");
  await visible(page.getByRole("heading", { name: "Store" }));
}

/** The accessible name of the focused element: its label, aria-label or text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const e = document.activeElement as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> };
    if (!e || e === document.body) return "";
    const label = e.labels?.[0]?.textContent ?? e.getAttribute("aria-label") ?? e.textContent ?? "";
    return label.trim();
  });
}

/** Presses Tab (or Shift+Tab) until the focused element's name starts with `name`; fails after 40. */
async function tabTo(page: Page, name: string, { backwards = false } = {}) {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
    const now = await focused(page);
    if (now.startsWith(name)) return;
    seen.push(now);
  }
  throw new Error(`Tab never reached "${name}"; it went through: ${seen.join(" | ")}`);
}

/** Signs in with the tests' one password and lands on the store. */
async function signIn(page: Page, email: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/store");
}

let bed: PortalTestbed;
const state: { listingUrl?: string; cubeUrl?: string; subscriberEmail: string } = {
  subscriberEmail: "sam@subscriber.example.com",
};

let standin: Standin;

beforeAll(async () => {
  // Payments go to the Stripe stand-in: the commerce scenario below buys and sells through it.
  standin = await startStripeStandin();
  bed = await openPortalTestbed({
    env: {
      STRIPE_SECRET_KEY: standin.apiKey,
      STRIPE_WEBHOOK_SECRET: standin.webhookSecret,
      STRIPE_API_URL: standin.url,
    },
  });
  await standin.setWebhookEndpoint(`${bed.server.url}/api/v1/payments/stripe/webhook`);
}, 300_000);
afterAll(async () => {
  await bed?.close();
  await standin?.close();
});

describe("portal in a real browser", { timeout: 600_000 }, () => {
  afterEach(() => {
    // A screen that logs errors or throws is broken even when its assertions pass.
    expect(bed.pageErrors.splice(0)).toEqual([]);
  });

  it("a publisher signs up, publishes a Markdown cube through the wizard and lists it for free", async () => {
    const { page } = await bed.person();
    await signUp(page, {
      name: "Petra Publisher",
      email: "petra@publisher.example.com",
      org: "Glacier Guides",
    });

    await page.getByRole("link", { name: "Studio" }).click();
    await visible(page.getByText("No cubes yet"));
    await bed.screenshot(page, "studio-empty");
    await page.getByRole("link", { name: "Publish a cube" }).click();

    // The form validates with the API's own schema before anything is sent.
    await page.getByRole("button", { name: "Create cube" }).click();
    await visible(page.locator(".field .error"));
    await page.getByLabel("Title").fill("Alpine Rescue Handbook");
    await expect.poll(() => page.getByLabel("Slug").inputValue(), POLL).toBe("alpine-rescue-handbook");
    await page.getByLabel("Description").fill("Field procedures for **mountain rescue** teams.");
    await page.getByLabel("Tags").fill("rescue, alpine");
    await page.getByRole("button", { name: "Create cube" }).click();

    await page.getByLabel("Changelog").fill("First edition.");
    await page.getByLabel("Agent calls per day").fill("500");
    await page.getByLabel("Daily share per organisation (%)").fill("80");
    await bed.screenshot(page, "publish-manifest");
    await page.getByRole("button", { name: "Continue to upload" }).click();

    await page.getByLabel("Payload file").setInputFiles({
      name: "handbook.md",
      mimeType: "text/markdown",
      buffer: Buffer.from(handbook(40)),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await visible(page.getByText("Uploaded and stored."));
    await expect
      .poll(
        () => page.getByRole("progressbar", { name: "Upload progress" }).getAttribute("aria-valuenow"),
        POLL,
      )
      .toBe("100");
    // The questions a buyer would ask, measured when it is processed.
    const questions = [
      { question: "What holds a stretcher on steep ice?", expect: { contains: "zephyrine knot" } },
      { question: "Where are avalanche transceivers checked?", expect: { contains: "trailhead" } },
    ];
    await page.getByLabel("Evaluation questions").setInputFiles({
      name: "questions.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(questions.map((q) => JSON.stringify(q)).join("\n")),
    });
    await visible(page.getByRole("status").filter({ hasText: "2 questions attached" }));
    await bed.screenshot(page, "publish-uploaded");

    await page.getByRole("button", { name: "Submit for processing" }).click();
    for (const stage of ["ingest", "desensitise", "convert", "embed", "evaluate", "sign"]) {
      await expect
        .poll(() => page.getByTestId(`stage-${stage}`).getAttribute("data-status"), POLL)
        .toBe("done");
    }
    await bed.screenshot(page, "publish-processed");
    await page.getByRole("button", { name: "Continue to listing" }).click();

    await page.getByRole("checkbox", { name: /Canary facts/ }).check();
    // Light by default; this publisher wants a 200-character excerpt traceable.
    expect(await page.getByLabel("Fingerprint marks").inputValue()).toBe("light");
    await page.getByLabel("Fingerprint marks").selectOption("dense");
    await page.getByRole("button", { name: "Create and publish listing" }).click();
    await visible(page.getByText("Listed."));
    await page.getByRole("link", { name: "View the listing" }).click();
    await page.waitForURL("**/store/lst_*");
    state.listingUrl = new URL(page.url()).pathname;
    await visible(page.getByRole("heading", { name: "Alpine Rescue Handbook" }));
    // Markdown rendered, not shown raw.
    await visible(page.locator(".markdown strong", { hasText: "mountain rescue" }));
    // Buyers see that their copy carries canary facts of their own.
    await visible(page.getByText("Your copy carries canary facts unique to your organisation"));
    // The share cap set as a percentage in the manifest's license reaches the listing's terms.
    await visible(page.getByText("At most 80 % of the pack per organisation a day"));
    // And what the marks cost their agents, measured on this version's text.
    expect(await page.getByTestId("marks-cost").textContent()).toMatch(
      /invisible fingerprint \(dense\): about \d+ % more tokens for your agents \(o200k_base\)/,
    );
    await bed.screenshot(page, "listing");

    await page.goto("/studio");
    await page.getByRole("link", { name: "Alpine Rescue Handbook" }).first().click();
    await page.waitForURL("**/studio/cubes/cube_*");
    state.cubeUrl = new URL(page.url()).pathname;
    await expect.poll(() => page.getByTestId("cube-version").first().textContent(), POLL).toContain("ready");
    await bed.screenshot(page, "studio-cube");
  });

  it("a subscriber finds it by a word from its content, installs it, makes an agent key and finds the content in the vault", async () => {
    const { page } = await bed.person();
    await signUp(page, { name: "Sam Subscriber", email: state.subscriberEmail, org: "Summit Insurance" });

    await page.getByLabel("Search the store").fill("zephyrine");
    await page.getByRole("button", { name: "Search" }).click();
    const card = page.getByTestId("listing-card").filter({ hasText: "Alpine Rescue Handbook" });
    await visible(card);
    await expect.poll(() => card.first().textContent(), POLL).toContain("Glacier Guides");
    // What a buyer checks first: the platform signed it and its personal data was handled.
    const checks = card.first().getByTestId("check-badges");
    await expect.poll(() => checks.textContent(), POLL).toContain("✓ Signed");
    expect(await checks.textContent()).toMatch(/Desensitised · risk \w+/);
    // The card's excerpt of the Markdown description is plain text.
    expect(await card.first().textContent()).toContain("Field procedures for mountain rescue teams.");
    await bed.screenshot(page, "store-search");
    await bed.docScreenshot(page, "store");

    await page.goto("/vaults");
    await visible(page.getByText("No vaults yet"));
    await page.getByLabel("Name", { exact: true }).fill("rescue-agents");
    await page.getByRole("button", { name: "Create vault" }).click();
    await visible(page.getByRole("link", { name: /rescue-agents/ }));

    await page.goto(state.listingUrl!);
    // Measured on the publisher's questions: both answered in the first five.
    await visible(
      page.getByTestId("evaluation-badge").filter({ hasText: "Answers 100 % of 2 test questions" }),
    );
    // Try before buying: one question the pack answers, one it cannot.
    await page
      .getByLabel("Your questions")
      .fill("What holds a stretcher on steep ice?\nWhat is the hut's phone number?");
    await page.getByRole("button", { name: "Ask the pack" }).click();
    const answers = page.getByTestId("try-answer");
    await expect.poll(() => answers.count(), POLL).toBe(2);
    expect(stripMarks((await answers.nth(0).textContent()) ?? "")).toMatch(/answered.*zephyrine knot/s);
    expect(await answers.nth(1).textContent()).toContain("no answer in this pack");
    await visible(page.getByText("18 questions left today"));
    await bed.screenshot(page, "store-try-it");
    await page.getByRole("button", { name: "Get" }).click();
    await visible(page.getByText("Your organisation has this listing."));
    await page.getByLabel("Vault", { exact: true }).selectOption({ label: "rescue-agents" });
    await page.getByRole("button", { name: "Install", exact: true }).click();
    await expect
      .poll(() => page.getByRole("status").first().textContent(), POLL)
      .toContain("Installed v1.0.0");
    await page.getByRole("link", { name: "open the vault" }).click();
    await page.waitForURL("**/vaults/vault_*");
    const vaultId = new URL(page.url()).pathname.split("/").pop()!;
    await visible(page.getByRole("cell", { name: /alpine-rescue-handbook/ }));
    await bed.screenshot(page, "vault-installs");

    await page.getByRole("tab", { name: "Memory explorer" }).click();
    await page.getByLabel("Search this vault").fill("zephyrine knot stretcher");
    await page.getByRole("button", { name: "Search" }).click();
    const hit = page.getByTestId("vault-hit").first();
    // The page shows this organisation's fingerprinted copy: the words, with invisible marks between.
    await expect
      .poll(async () => stripMarks((await hit.first().textContent()) ?? ""), POLL)
      .toContain("zephyrine knot");
    await expect
      .poll(() => hit.first().textContent(), POLL)
      .toContain("glacier-guides / alpine-rescue-handbook v1.0.0");
    // Readable: the Markdown rendered (no "##"), the query's words marked, the score behind a detail.
    expect(await hit.first().textContent()).not.toContain("##");
    expect(
      (await hit.first().locator("mark").allTextContents()).map((m) => stripMarks(m).toLowerCase()),
    ).toEqual(expect.arrayContaining(["zephyrine", "knot"]));
    expect(await hit.first().locator("details").textContent()).toMatch(/Why this result.*Ranked 0\.\d+/s);
    expect(
      await hit
        .first()
        .locator("details")
        .evaluate((d) => (d as HTMLDetailsElement).open),
    ).toBe(false);
    await bed.screenshot(page, "vault-explorer");
    await bed.docScreenshot(page, "vault-search");

    // Privacy: memories agents write are desensitised once the vault says so; the setting persists.
    await page.getByRole("tab", { name: "Privacy" }).click();
    await page.getByRole("checkbox", { name: /Desensitise memories agents write/ }).check();
    await page.getByLabel("EMAIL", { exact: true }).selectOption("redact");
    await page.getByRole("button", { name: "Save privacy settings" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Saved." }));
    await bed.screenshot(page, "vault-privacy");
    await page.reload();
    await page.getByRole("tab", { name: "Privacy" }).click();
    expect(await page.getByRole("checkbox", { name: /Desensitise memories agents write/ }).isChecked()).toBe(
      true,
    );
    expect(await page.getByLabel("EMAIL", { exact: true }).inputValue()).toBe("redact");
    await page.getByRole("tab", { name: "Own memories" }).click();
    await page
      .getByLabel("Text", { exact: true })
      .fill("Radio the hut warden at warden@hut.example.com first.");
    await page.getByRole("button", { name: "Save memory" }).click();
    await visible(page.getByText("Radio the hut warden at  first."));
    expect(await page.getByText("warden@hut.example.com").count()).toBe(0);

    await page.goto("/keys");
    await page.getByLabel("Name", { exact: true }).fill("rescue agent");
    await page.getByLabel("Bound to vault").selectOption({ label: "rescue-agents" });
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("new-key").textContent())!.trim();
    expect(secret).toMatch(/^msk_/);
    await bed.screenshot(page, "keys");

    // The key works for the agent, on the vault it is bound to.
    const agent = await authenticateApiKey(bed.t.ctx, secret);
    expect(agent).toMatchObject({ kind: "api_key", vaultId, scopes: ["vault:read"] });
    const response = await fetch(`${bed.server.url}/api/v1/vaults/${vaultId}/search`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "zephyrine knot" }),
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: Array<{ text: string }> };
    expect(stripMarks(results[0]!.text)).toContain("zephyrine knot");

    // The agent's call shows in the usage charts, and key creation in the verified audit log.
    await page.getByRole("link", { name: "Usage" }).click();
    await visible(page.getByRole("img", { name: "Calls per install" }));
    await page.getByText("Figures").first().click();
    const today = new Date().toISOString().slice(0, 10);
    await expect
      .poll(
        () =>
          page
            .getByRole("row", { name: new RegExp(today) })
            .first()
            .textContent(),
        POLL,
      )
      .toMatch(/[1-9]/);
    await bed.screenshot(page, "usage");
    await page.getByRole("link", { name: "Audit log" }).click();
    await expect.poll(() => page.getByTestId("chain-status").textContent(), POLL).toContain("Chain verified");
    // Rows read as sentences: people and keys by name, objects by title; the raw row behind a detail.
    await visible(
      page
        .getByTestId("audit-sentence")
        .filter({ hasText: `${state.subscriberEmail} installed ` })
        .filter({ hasText: / into rescue-agents$/ }),
    );
    await page.getByLabel("Action").fill("key.");
    await page.getByRole("button", { name: "Filter" }).click();
    const created = page
      .getByTestId("audit-sentence")
      .filter({ hasText: "created the API key “rescue agent”" });
    await visible(created);
    expect(await created.first().textContent()).toBe(
      `${state.subscriberEmail} created the API key “rescue agent”`,
    );
    await page.getByText("Details").first().click();
    await visible(page.getByRole("definition").filter({ hasText: "key.created" }).first());
    await bed.screenshot(page, "audit");
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export CSV" }).click();
    const csv = await (await (await download).createReadStream()).toArray();
    const text = Buffer.concat(csv).toString("utf8");
    expect(text.split("\r\n")[0]).toBe("seq,created_at,actor,action,object_type,object_id,data,hash");
    expect(text).toContain(",key.created,api_key,");
    expect(text).not.toContain("vault.created");
  });

  it("a subscriber sees a new version, upgrades, rolls back, reads the install's past and puts the vault on hold", async () => {
    const { page } = await bed.person();
    await signIn(page, state.subscriberEmail);
    // The publisher ships 1.0.1.
    const cubeId = state.cubeUrl!.split("/").pop()!;
    const [owner] = await queryRows<{ org_id: string; user_id: string }>(
      bed.t.ctx.db,
      sql`select c.org_id, m.user_id from cubes c join memberships m on m.org_id = c.org_id where c.id = ${cubeId} limit 1`,
    );
    const publisher: Subject = { kind: "user", userId: owner!.user_id, orgId: owner!.org_id, role: "owner" };
    await submitNewVersion(bed.t.ctx, publisher, cubeId, {
      version: "1.0.1",
      manifest: { changelog: "Knots for ice." },
      payload: "# Knots\n\nThe zephyrine knot holds on ice too.\n",
      contentType: "text/markdown",
    });
    await bed.t.runner.idle();

    await page.goto("/vaults");
    await page.getByRole("link", { name: /rescue-agents/ }).click();
    await visible(page.getByTestId("update-available").filter({ hasText: "v1.0.1 available" }));
    // What the update changes, before taking it.
    await page.getByText("What changes").click();
    const diff = page.getByTestId("install-diff");
    await visible(diff.filter({ hasText: "v1.0.1: Knots for ice." }));
    expect(await diff.textContent()).toContain("1 section added Knots");
    expect(await diff.textContent()).toMatch(/Chunks: 1 added, \d+ removed/);
    await bed.screenshot(page, "vault-install-diff");
    await page.getByRole("button", { name: "Upgrade" }).click();
    await visible(page.getByRole("cell", { name: /^v1\.0\.1/ }));
    await page.getByRole("button", { name: "Roll back" }).click();
    await visible(
      page.getByTestId("update-available").filter({ hasText: "v1.0.1 available (outside the policy)" }),
    );
    await page.getByText("History").click();
    await expect.poll(() => page.locator(".install-history li").count(), POLL).toBe(3);
    expect(await page.locator(".install-history li").last().textContent()).toMatch(
      /v1\.0\.0 .* now · rollback/,
    );
    await bed.screenshot(page, "vault-install-history");

    // A legal hold: the banner says why, writes are refused, and lifting it is one click.
    await page.getByText("Legal hold").click();
    await page.getByLabel("Reason").fill("litigation hold, case 2026-114");
    await page.getByRole("button", { name: "Freeze vault" }).click();
    await visible(page.getByTestId("frozen-banner").filter({ hasText: "litigation hold, case 2026-114" }));
    // Who froze it, by name: not an id.
    expect(await page.getByTestId("frozen-banner").textContent()).toContain(`by ${state.subscriberEmail}:`);
    await bed.screenshot(page, "vault-frozen");
    await page.getByRole("tab", { name: "Own memories" }).click();
    await page.getByLabel("Text", { exact: true }).fill("Nothing may be written now.");
    await page.getByRole("button", { name: "Save memory" }).click();
    await visible(page.getByRole("alert").filter({ hasText: /frozen/ }));
    await page.getByRole("button", { name: "Unfreeze" }).click();
    await expect.poll(() => page.getByTestId("frozen-banner").count(), POLL).toBe(0);

    // The time machine: before anything was installed, the vault held nothing.
    await page.getByRole("tab", { name: "Memory explorer" }).click();
    await page.getByLabel("Search this vault").fill("zephyrine knot");
    await page.getByLabel("As of").fill("2020-01-01T00:00");
    await page.getByRole("button", { name: "Search" }).click();
    await visible(page.getByText("No matches"));
    await page.getByLabel("As of").fill("");
    await page.getByRole("button", { name: "Search" }).click();
    await visible(page.getByTestId("vault-hit").first());

    // Retention: a rule set, kept across a reload.
    await page.getByRole("tab", { name: "Retention" }).click();
    await page.getByLabel("Archive memories unused for (days)").fill("90");
    await page.getByRole("button", { name: "Save retention" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Saved." }));
    await page.reload();
    await page.getByRole("tab", { name: "Retention" }).click();
    expect(await page.getByLabel("Archive memories unused for (days)").inputValue()).toBe("90");
  });

  it("a publisher yanks a version from the studio; the store shows its tombstone; unyanked, it stands again", async () => {
    const { page } = await bed.person();
    await signIn(page, "petra@publisher.example.com");
    await page.goto(state.cubeUrl!);
    const v101 = page.getByTestId("cube-version").filter({ hasText: "v1.0.1" });
    await v101.getByText("Yank this version").click();
    await v101.getByLabel("Why").fill("the ice knot is unsafe below -20 °C");
    await v101.getByRole("button", { name: "Yank v1.0.1" }).click();
    await visible(v101.getByTestId("version-tombstone").filter({ hasText: "the ice knot is unsafe" }));
    await bed.screenshot(page, "studio-yank");
    await page.goto(state.listingUrl!);
    await visible(
      page
        .getByTestId("listing-version")
        .filter({ hasText: "v1.0.1" })
        .getByTestId("listing-tombstone")
        .filter({ hasText: "It can no longer be installed." }),
    );
    await page.goto(state.cubeUrl!);
    await v101.getByRole("button", { name: "Unyank v1.0.1" }).click();
    await expect.poll(() => v101.getByTestId("version-tombstone").count(), POLL).toBe(0);
  });

  it("a subscriber merges two of its own memories, finds the sources under Merged and restores one", async () => {
    const { page } = await bed.person();
    await signIn(page, state.subscriberEmail);
    await page.goto("/vaults");
    await page.getByRole("link", { name: /rescue-agents/ }).click();
    await page.getByRole("tab", { name: "Own memories" }).click();
    for (const text of ["The hut key hangs by the stove.", "The spare rope is in the red bin."]) {
      await page.getByLabel("Text", { exact: true }).fill(text);
      await page.getByRole("button", { name: "Save memory" }).click();
      await visible(page.getByTestId("own-memory").filter({ hasText: text }));
    }
    const mine = page.getByTestId("own-memory").filter({ hasText: /hut key|spare rope/ });
    await mine.nth(0).getByLabel("Select to merge").check();
    await mine.nth(1).getByLabel("Select to merge").check();
    await page.getByRole("button", { name: "Merge selected (2)" }).click();
    const merged = page.getByTestId("own-memory").filter({ hasText: "merged from 2 memories" });
    await visible(merged);
    expect(await merged.textContent()).toMatch(/hut key[\s\S]*spare rope|spare rope[\s\S]*hut key/);
    await bed.screenshot(page, "vault-memories-merged");

    await page.getByLabel("Show", { exact: true }).selectOption("merged");
    const sources = page.getByTestId("own-memory");
    await expect.poll(() => sources.count(), POLL).toBe(2);
    await sources.filter({ hasText: "spare rope" }).getByRole("button", { name: "Restore" }).click();
    await expect.poll(() => sources.count(), POLL).toBe(1);
    await page.getByLabel("Show", { exact: true }).selectOption("active");
    await visible(
      page
        .getByTestId("own-memory")
        .filter({ hasText: "The spare rope is in the red bin." })
        .filter({ hasNotText: "merged from" }),
    );
  });

  it("a listing sold on request: the buyer asks, the publisher denies then approves with an offer, the buyer gets it", async () => {
    const publisher = (await bed.person()).page;
    await signIn(publisher, "petra@publisher.example.com");
    await publisher.goto(state.cubeUrl!);
    await publisher.getByLabel("Access", { exact: true }).selectOption("request");
    await publisher.getByRole("button", { name: "Save listing" }).click();
    await visible(publisher.getByRole("heading", { name: "Access requests" }));

    const buyer = (await bed.person()).page;
    await signUp(buyer, { name: "Rhea Requester", email: "rhea@ask.example.com", org: "Ridge Patrol" });
    await buyer.goto(state.listingUrl!);
    await visible(buyer.getByText("Sold on request: the publisher approves each buyer"));
    expect(await buyer.getByRole("button", { name: "Get", exact: true }).count()).toBe(0);
    await buyer.getByLabel("Message").fill("We run the ridge patrol's avalanche rescue.");
    await buyer.getByLabel("Purpose").fill("rescue training");
    await buyer.getByRole("button", { name: "Request access" }).click();
    await visible(buyer.getByTestId("access-state").filter({ hasText: "waiting for the publisher" }));

    // The publisher reads who asks and why, and says no, with a reason the buyer reads.
    await publisher.reload();
    const request = publisher.getByTestId("access-request").filter({ hasText: "Ridge Patrol" });
    await visible(request.filter({ hasText: "Purpose: rescue training" }));
    await request.getByLabel("Reason").fill("Which mountain club are you with?");
    await request.getByRole("button", { name: "Deny" }).click();
    await visible(request.filter({ hasText: "Denied" }));
    await buyer.reload();
    await visible(buyer.getByTestId("access-state").filter({ hasText: "Which mountain club are you with?" }));

    // Asked again, approved with a private offer: the buyer gets it under that offer.
    await buyer.getByLabel("Message").fill("Ridge Patrol, member of the Alpine Club.");
    await buyer.getByRole("button", { name: "Request access" }).click();
    await visible(buyer.getByTestId("access-state").filter({ hasText: "waiting for the publisher" }));
    await publisher.reload();
    const again = publisher.getByTestId("access-request").filter({ hasText: "member of the Alpine Club" });
    await again.getByLabel("Reason").fill("Welcome aboard.");
    await again.getByLabel("Approve with a private offer at its own price").check();
    await again.getByRole("button", { name: "Approve" }).click();
    await visible(again.filter({ hasText: "Approved" }).filter({ hasText: "with a private offer" }));
    await bed.screenshot(publisher, "studio-access-requests");

    await buyer.reload();
    await visible(buyer.getByTestId("access-state").filter({ hasText: "Access approved" }));
    await buyer.getByRole("button", { name: /Get at your offer/ }).click();
    await visible(buyer.getByText("Your organisation has this listing."));
    await bed.screenshot(buyer, "store-access-approved");

    // Open to every buyer again, for the screens that follow.
    await publisher.getByLabel("Access", { exact: true }).selectOption("open");
    await publisher.getByRole("button", { name: "Save listing" }).click();
    await expect
      .poll(() => publisher.getByRole("heading", { name: "Access requests" }).count(), POLL)
      .toBe(0);
  });

  it("a holder reviews the listing after a week, the publisher replies, and buyers see the rating and the publisher's page", async () => {
    // A week on: the handbook's holders have held it 7 days.
    const listingId = state.listingUrl!.split("/").at(-1)!;
    await bed.t.ctx.db.execute(
      sql`update entitlements set valid_from = now() - interval '8 days' where listing_id = ${listingId}`,
    );
    const holder = (await bed.person()).page;
    await signIn(holder, state.subscriberEmail);
    await holder.goto(state.listingUrl!);
    await visible(holder.getByTestId("rating").filter({ hasText: "No reviews yet" }));
    const form = holder.getByRole("form", { name: "Write a review" });
    await form.getByLabel("Rating").selectOption("4");
    await form.getByLabel("Review title").fill("Clear glacier procedures");
    await form.getByLabel("Review", { exact: true }).fill("Our teams use the crevasse section every week.");
    await form.getByRole("button", { name: "Save review" }).click();
    await visible(holder.getByText("Review saved."));
    const review = holder.getByRole("article", { name: "Review: Clear glacier procedures" });
    await visible(review.filter({ hasText: "verified holder" }));
    await visible(holder.getByTestId("rating").filter({ hasText: "4.0 · 1 review" }));

    // The publisher replies once, from the listing page.
    const publisher = (await bed.person()).page;
    await signIn(publisher, "petra@publisher.example.com");
    await publisher.goto(state.listingUrl!);
    const toReply = publisher.getByRole("article", { name: "Review: Clear glacier procedures" });
    await toReply.getByLabel("Your reply").fill("Section 12 gets a diagram in the next version.");
    await toReply.getByRole("button", { name: "Reply" }).click();
    await visible(toReply.getByText("The publisher replied: Section 12 gets a diagram in the next version."));
    expect(await toReply.getByLabel("Your reply").count()).toBe(0);

    // Another buyer reports it, with a reason.
    const other = (await bed.person()).page;
    await signIn(other, "rhea@ask.example.com");
    await other.goto(state.listingUrl!);
    other.once("dialog", (dialog) => void dialog.accept("Reads like an advertisement."));
    await other
      .getByRole("article", { name: "Review: Clear glacier procedures" })
      .getByRole("button", { name: "Report" })
      .click();
    await visible(other.getByText("Reported. Thank you."));
    await bed.screenshot(holder, "store-reviews");

    // The publisher's page, written in the organisation's settings and linked from the listing.
    await publisher.goto("/members");
    const profile = publisher.getByRole("form", { name: "Publisher page" });
    await profile.getByLabel("About").fill("Mountain guides writing **field procedures** since 1998.");
    await profile.getByLabel("Website").fill("ftp://guides.example.com");
    await profile.getByRole("button", { name: "Save profile" }).click();
    await visible(profile.getByText("an https:// address"));
    await profile.getByLabel("Website").fill("https://guides.example.com");
    await profile.getByRole("button", { name: "Save profile" }).click();
    await visible(profile.getByText("Profile saved."));

    // A query nothing answers says so, and offers the nearest topics instead.
    await holder.goto(`/store?q=${encodeURIComponent("sourdough starter hydration")}`);
    await visible(holder.getByText("Nothing in the store answers “sourdough starter hydration”"));
    await visible(holder.getByTestId("suggested-tags").getByRole("link", { name: "#rescue" }));
    // Sorted by rating, filtered to 4 stars and up: the handbook rated 4.
    await holder.goto("/store?sort=rating&min_rating=4");
    await visible(holder.getByTestId("listing-card").filter({ hasText: "Alpine Rescue Handbook" }));

    await holder.goto("/store?q=zephyrine");
    const card = holder.getByTestId("listing-card").filter({ hasText: "Alpine Rescue Handbook" });
    await expect.poll(() => card.first().getByTestId("rating-line").textContent(), POLL).toContain("4.0 (1)");
    await card.first().getByRole("link", { name: "Glacier Guides" }).click();
    await holder.waitForURL("**/store/publishers/*");
    await visible(holder.getByRole("heading", { name: "Glacier Guides" }));
    await visible(holder.locator(".markdown strong", { hasText: "field procedures" }));
    await visible(holder.getByRole("link", { name: "guides.example.com" }));
    await visible(holder.getByTestId("publisher-listing").filter({ hasText: "Alpine Rescue Handbook" }));
    await bed.screenshot(holder, "publisher-page");
  });

  it("keeps tenants apart: the publisher's studio is a 404 to the subscriber, and a member cannot create keys (403)", async () => {
    const { page } = await bed.person();
    await signIn(page, state.subscriberEmail);
    const studio = await page.goto(state.cubeUrl!);
    expect(studio!.status()).toBe(404);
    await visible(page.getByRole("heading", { name: "Not found" }));

    // A colleague with their own account joins Summit Insurance as a member.
    const colleague = await bed.person();
    await signUp(colleague.page, {
      name: "Mia Member",
      email: "mia@subscriber.example.com",
      org: "Mia's Lab",
    });
    await page.goto("/members");
    await page.getByLabel("Email").fill("mia@subscriber.example.com");
    await page.getByLabel("Role", { exact: true }).selectOption("member");
    await page.getByRole("button", { name: "Add member" }).click();
    await visible(page.getByRole("cell", { name: "mia@subscriber.example.com" }));
    await bed.screenshot(page, "members");

    const mia = colleague.page;
    await mia.reload();
    await mia.getByLabel("Organisation").selectOption({ label: "Summit Insurance" });
    await visible(mia.locator(".badge.accent", { hasText: "member" }));
    await mia.goto("/keys");
    await mia.getByLabel("Name", { exact: true }).fill("sneaky key");
    const refused = mia.waitForResponse((r) => r.url().includes("keys.create"));
    await mia.getByRole("button", { name: "Create key" }).click();
    expect((await refused).status()).toBe(403);
    await visible(mia.getByRole("alert").filter({ hasText: "key.manage" }));
    await bed.screenshot(mia, "member-refused");
  });

  it("slows down repeated failed sign-ins: after five, even the right password must wait", async () => {
    const { page } = await bed.person();
    await page.goto("/signin");
    for (let i = 0; i < 5; i++) {
      await page.getByLabel("Email").fill("mia@subscriber.example.com");
      await page.getByLabel("Password").fill(`wrong guess ${i}`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => page.locator(".alert.error").textContent(), POLL).toContain("do not match");
    }
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.locator(".alert.error").textContent(), POLL)
      .toMatch(/Too many failed sign-in attempts/);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await bed.screenshot(page, "signin-throttled");
  });

  it("fits its navigation on one row at 1280 px, and has a favicon", async () => {
    const { context } = await bed.person();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    // A long organisation name and a long own name: the row still holds.
    await signUp(page, {
      name: "Maximiliane Wide-Nav",
      email: "wide@nav.example.com",
      org: "Northern Harbour Pilots",
    });
    const nav = page.getByRole("navigation", { name: "Main" });
    await visible(nav.getByRole("link", { name: "Members" }));
    const tops = await nav
      .getByRole("link")
      .evaluateAll((links) => links.map((l) => Math.round(l.getBoundingClientRect().top)));
    await bed.screenshot(page, "nav-1280");
    expect(tops.length).toBeGreaterThan(5);
    expect(new Set(tops).size).toBe(1);
    // The user box shares the row too.
    const signOut = await page.getByRole("button", { name: "Sign out" }).boundingBox();
    expect(Math.abs(signOut!.y + signOut!.height / 2 - (tops[0]! + 15))).toBeLessThan(20);
    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    expect(icon).toBeTruthy();
    const served = await page.request.get(new URL(icon!, page.url()).toString());
    expect(served.status()).toBe(200);
    expect(served.headers()["content-type"]).toContain("image/svg+xml");
  });

  it("works at phone width", async () => {
    const { context } = await bed.person();
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, state.subscriberEmail);
    await visible(page.getByTestId("listing-card"));
    // Nothing wider than the screen: no sideways scrolling.
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 391)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
        .slice(0, 5),
    );
    expect(overflowing).toEqual([]);
    await bed.screenshot(page, "store-phone");
  });

  it("can be used with the keyboard alone: sign in, skip the navigation, create a vault, search it", async () => {
    await signUpAccount(bed.t.ctx, {
      name: "Kira Keys",
      email: "kira@keyboard.example.com",
      password: "correct horse battery",
      organization: "Keyboard Co",
    });
    const { page } = await bed.person();
    await page.goto("/signin");
    // Tab reaches the fields in order, Enter submits.
    await tabTo(page, "Email");
    await page.keyboard.type("kira@keyboard.example.com");
    await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("Password");
    await page.keyboard.type("correct horse battery");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/store");
    // A page as it opens (a bookmark, a reload): focus starts at the top of the document.
    await page.goto("/store");
    await visible(page.getByRole("heading", { name: "Store" }));

    // The first Tab stop skips the navigation; the focus ring shows where the keyboard is.
    await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("Skip to content");
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe(
      "none",
    );
    await bed.screenshot(page, "keyboard-skip-link");
    await page.keyboard.press("Shift+Tab");
    await tabTo(page, "Vaults");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/vaults");
    await tabTo(page, "Name");
    await page.keyboard.type("keyboard-vault");
    await page.keyboard.press("Enter");
    const vaultLink = page.getByRole("link", { name: /keyboard-vault/ });
    await visible(vaultLink);
    await tabTo(page, "keyboard-vault");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/vaults\/vault_/);

    // Tabs are buttons: Space switches to the explorer; the search runs on Enter.
    await tabTo(page, "Own memories");
    await page.keyboard.press("Space");
    await tabTo(page, "Text");
    await page.keyboard.type("The spare stretcher is in locker nine.");
    await tabTo(page, "Save memory");
    await page.keyboard.press("Enter");
    await visible(page.getByText("The spare stretcher is in locker nine."));
    await tabTo(page, "Memory explorer", { backwards: true });
    await page.keyboard.press("Space");
    await tabTo(page, "Search this vault");
    await page.keyboard.type("stretcher locker");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("vault-hit").count(), POLL).toBeGreaterThan(0);
    await bed.screenshot(page, "keyboard-vault-search");
  });

  it("a publisher publishes a KV snapshot through the wizard: checked and run on its base model, shown as validated", async () => {
    const tiny = buildTinyDecoder();
    const model = await insertBaseModel(
      bed.t.ctx,
      { name: "memstore/tiny-llama", config: TINY_CONFIG, tokenizer_sha256: TINY_TOKENIZER_SHA256 },
      { orgId: null, actor: "test" },
    );
    await attachOnnx(bed.t.ctx, await loadBaseModel(bed.t.ctx.db, model.id), Readable.from([tiny.onnx]));

    const { page } = await bed.person();
    await signUp(page, { name: "Kai Cache", email: "kai@cacheworks.example.com", org: "Cache Works" });
    await page.goto("/studio/publish");
    await page.getByLabel("Type").selectOption({ label: "KV-cache snapshot (activation memory)" });
    await page.getByLabel("Title").fill("Glacier briefing, precomputed");
    await page.getByLabel("Tags").fill("rescue");
    await page.getByRole("button", { name: "Create cube" }).click();
    await page.getByRole("button", { name: "Continue to upload" }).click();

    // Pickled weights are refused before a byte is sent, with what to do instead.
    await page.getByLabel("Payload file").setInputFiles({
      name: "past_key_values.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("x"),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await expect
      .poll(() => page.locator(".alert.error").textContent(), POLL)
      .toContain("Convert the weights to safetensors");

    await page.getByLabel("Payload file").setInputFiles({
      name: "briefing.safetensors",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(await modelKvSnapshot(tiny.onnx, PROMPT_IDS)),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await visible(page.getByText("Uploaded and stored."));
    await page.getByRole("button", { name: "Submit for processing" }).click();
    for (const stage of ["ingest", "convert", "validate", "sign"]) {
      await expect
        .poll(() => page.getByTestId(`stage-${stage}`).getAttribute("data-status"), POLL)
        .toBe("done");
    }
    // The validate stage says what the run on the model showed.
    const validate = page.getByTestId("stage-validate");
    await expect.poll(() => validate.textContent(), POLL).toMatch(/passed\s*true/);
    expect(await validate.textContent()).toMatch(/speedup/);
    await bed.screenshot(page, "publish-kv-processed");

    await page.getByRole("button", { name: "Continue to listing" }).click();
    await page.getByRole("button", { name: "Create and publish listing" }).click();
    await visible(page.getByText("Listed."));
    await page.getByRole("link", { name: "View the listing" }).click();
    await page.waitForURL("**/store/lst_*");
    const badge = page.getByTestId("validation-badge");
    await expect.poll(() => badge.textContent(), POLL).toContain("Validated on memstore/tiny-llama (CPU)");
    // The time-to-first-token figure is stated either way: a speedup, or none at this length.
    expect(await badge.textContent()).toMatch(
      /first token [\d.]+× sooner|no first-token speedup \([\d.]+×\)/,
    );
    await bed.screenshot(page, "listing-kv");

    // The publisher manages its own listing; it does not get it.
    await visible(page.getByText("Your organisation publishes this listing."));
    // Installed into a subscriber's vault, that organisation's fingerprinted copy downloads from the vault page.
    const listingUrl = page.url();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/signin**");
    await page.getByLabel("Email").fill(state.subscriberEmail);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/store");
    await page.goto("/vaults");
    await page.getByLabel("Name", { exact: true }).fill("briefing-agents");
    await page.getByRole("button", { name: "Create vault" }).click();
    await visible(page.getByRole("link", { name: /briefing-agents/ }));
    await page.goto(listingUrl);
    await page.getByRole("button", { name: "Get" }).click();
    await page.getByLabel("Vault", { exact: true }).selectOption({ label: "briefing-agents" });
    await page.getByRole("button", { name: "Install", exact: true }).click();
    await page.getByRole("link", { name: "open the vault" }).click();
    await page.waitForURL("**/vaults/vault_*");
    for (const [link, dtype] of [
      ["Download glacier-briefing-precomputed", "F32"],
      ["Download glacier-briefing-precomputed as int8", "I8"],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: link, exact: true }).click(),
      ]);
      const file = await readFile(await download.path());
      const { tensors, metadata } = await readAllTensors([file]);
      expect(tensors.get("past_key_values.0.key")!.dtype).toBe(dtype);
      expect(JSON.parse(metadata["memstore.license"]!).licensee.name).toBe("Summit Insurance");
    }
    await bed.screenshot(page, "vault-binary-install");

    // Nobody else gets the copy: no session is a 401, another organisation's member a 404.
    const href = await page
      .getByRole("link", { name: "Download glacier-briefing-precomputed", exact: true })
      .getAttribute("href");
    const { page: other } = await bed.person();
    expect((await other.request.get(href!)).status()).toBe(401);
    await other.goto("/signin");
    await other.getByLabel("Email").fill("petra@publisher.example.com");
    await other.getByLabel("Password").fill("correct horse battery");
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.waitForURL("**/store");
    const refused = await other.request.get(href!);
    expect(refused.status()).toBe(404);
    expect((await refused.json()).code).toBe("not_found");
  });

  it("resumes an upload whose connection dropped mid-way and completes it", async () => {
    const { page } = await bed.person();
    await signIn(page, "petra@publisher.example.com");
    await page.goto(`/studio/publish?cube=${state.cubeUrl!.split("/").pop()}`);
    await page.getByLabel("Version").fill("1.1.0");
    await page.getByRole("button", { name: "Continue to upload" }).click();

    // 2.5 MiB goes up in 1 MiB PATCHes; the connection drops on the second one.
    const file = Buffer.from(handbook(20_000).slice(0, 2.5 * 1024 * 1024));
    let patches = 0;
    let dropped = 0;
    await page.route("**/api/v1/uploads/**", async (route) => {
      if (route.request().method() === "PATCH" && ++patches === 2) {
        dropped++;
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    await page
      .getByLabel("Payload file")
      .setInputFiles({ name: "handbook.md", mimeType: "text/markdown", buffer: file });
    await page.getByRole("button", { name: "Upload" }).click();
    await visible(page.getByText("Uploaded and stored."));
    await expect.poll(() => page.getByTestId("upload-percent").textContent(), POLL).toBe("100%");
    expect(dropped).toBe(1);
    expect(patches).toBeGreaterThanOrEqual(4);

    const [version] = await bed.t.ctx.db.select().from(cubeVersions).where(eq(cubeVersions.version, "1.1.0"));
    expect(version!.size).toBe(file.length);
    expect(version!.digest).toBe(`sha256:${createHash("sha256").update(file).digest("hex")}`);
  });
});

describeCommerce(() => ({ bed, standin }));
