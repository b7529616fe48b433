import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AppContext,
  acquireListing,
  createApiKey,
  createCube,
  createListing,
  createOrganization,
  createVault,
  createVersion,
  installListing,
  publishListing,
  submitVersion,
  uploadPayload,
} from "@memstore/api";
import type { Subject } from "@memstore/core";

const DEMO_DIR = fileURLToPath(new URL("../demo", import.meta.url));
export const DEMO_PASSWORD = "memstore-demo";

export type DemoInfo = {
  publisher: { email: string; org_id: string };
  subscriber: { email: string; org_id: string };
  vault_id: string;
  agent_key: string;
};

/**
 * The demo store: a publisher with two free plaintext cubes (a Markdown guide and JSONL runbook
 * items), and a subscriber that installed both into a vault and holds an agent key for it. Seeded
 * once per data directory through the same services the API uses; the agent key is kept in the
 * data directory so later starts can print it again.
 */
export async function seedDemo(ctx: AppContext, waitForJobs: () => Promise<void>): Promise<DemoInfo> {
  const file = join(ctx.config.dataDir, "demo.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as DemoInfo;

  const publisherEmail = "publisher@demo.memstore.local";
  const subscriberEmail = "subscriber@demo.memstore.local";
  const pub = await createOrganization(ctx, {
    name: "Acme Experts",
    ownerEmail: publisherEmail,
    ownerPassword: DEMO_PASSWORD,
  });
  const sub = await createOrganization(ctx, {
    name: "Globex",
    ownerEmail: subscriberEmail,
    ownerPassword: DEMO_PASSWORD,
  });
  const publisher: Subject = { kind: "user", userId: pub.user_id, orgId: pub.org_id, role: "owner" };
  const subscriber: Subject = { kind: "user", userId: sub.user_id, orgId: sub.org_id, role: "owner" };

  const cubes = [
    {
      slug: "eu-vat-essentials",
      title: "EU VAT essentials",
      file: "eu-vat-guide.md",
      type: "text/markdown",
      tags: ["tax", "eu"],
    },
    {
      slug: "incident-runbook",
      title: "Incident runbook",
      file: "incident-runbook.jsonl",
      type: "application/x-ndjson",
      tags: ["sre"],
    },
  ];
  const listingIds: string[] = [];
  for (const c of cubes) {
    const cube = await createCube(ctx, publisher, {
      slug: c.slug,
      type: "plaintext",
      title: c.title,
      tags: c.tags,
    });
    await createVersion(ctx, publisher, cube.id, { version: "1.0.0" });
    await uploadPayload(
      ctx,
      publisher,
      { cubeId: cube.id, version: "1.0.0" },
      createReadStream(join(DEMO_DIR, c.file)),
      c.type,
    );
    await submitVersion(ctx, publisher, cube.id, "1.0.0");
    await waitForJobs();
    const listing = await createListing(ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: {},
    });
    await publishListing(ctx, publisher, listing.id);
    listingIds.push(listing.id);
  }
  const vault = await createVault(ctx, subscriber, { name: "Support knowledge" });
  for (const id of listingIds) {
    await acquireListing(ctx, subscriber, id);
    await installListing(ctx, subscriber, vault.id, { listing_id: id, version_policy: "latest" });
  }
  const agent = await createApiKey(ctx, subscriber, {
    name: "demo agent",
    scopes: ["vault:read", "vault:write"],
    vault_id: vault.id,
  });
  const info: DemoInfo = {
    publisher: { email: publisherEmail, org_id: pub.org_id },
    subscriber: { email: subscriberEmail, org_id: sub.org_id },
    vault_id: vault.id,
    agent_key: agent.key,
  };
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return info;
}
