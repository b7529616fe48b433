import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * A vault's event stream lives as long as the key that opened it may read the vault: the probe kept
 * receiving events on a stream whose key had been revoked.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let owner: string;
let vaultId: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  owner = await bed.organization("Streamers", "owner@streamers.example.com");
  vaultId = (await bed.api("POST", "/api/v1/vaults", owner, { name: "agents" })).body.id;
});

afterAll(async () => {
  await bed?.close();
});

/** Reads a stream to its end (or `limitMs`): the raw text and whether the server ended it. */
async function readStream(key: string, limitMs: number) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), limitMs);
  const response = await fetch(`${bed.server.url}/api/v1/vaults/${vaultId}/events`, {
    headers: { authorization: `Bearer ${key}` },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  let text = "";
  let ended = false;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString("utf8");
    }
    ended = true;
  } catch {
    // the limit passed with the stream still open
  } finally {
    clearTimeout(timer);
  }
  return { text, ended };
}

const agentKey = async (extra: Record<string, unknown> = {}) => {
  const made = await bed.api("POST", "/api/v1/keys", owner, {
    name: "agent",
    scopes: ["vault:read"],
    vault_id: vaultId,
    ...extra,
  });
  expect(made.status).toBe(201);
  return made.body as { id: string; key: string };
};

describe("a vault's event stream and its key", () => {
  it("ends when the key is revoked, saying why, and the key cannot reopen it", async () => {
    const { id, key } = await agentKey();
    const reading = readStream(key, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await bed.api("DELETE", `/api/v1/keys/${id}`, owner)).status).toBe(204);
    const { text, ended } = await reading;
    expect(ended).toBe(true);
    expect(text).toContain("event: error");
    expect(text).toContain('"code":"unauthenticated"');
    const again = await fetch(`${bed.server.url}/api/v1/vaults/${vaultId}/events`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(again.status).toBe(401);
  });

  it("ends when the key expires", async () => {
    const { key } = await agentKey({ expires_at: new Date(Date.now() + 1500).toISOString() });
    const { text, ended } = await readStream(key, 10_000);
    expect(ended).toBe(true);
    expect(text).toContain('"code":"unauthenticated"');
  });

  it("stays open for a key that is still valid", async () => {
    const { key } = await agentKey();
    const { ended } = await readStream(key, 2_500);
    expect(ended).toBe(false);
  });
});
