import { memoryItemSchema } from "@memstore/core";
import { readTar } from "@memstore/formats";
import { stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * No lock-in: a vault's memory leaves MemStore as JSONL, a MemCube payload or a MemOS directory —
 * its own memories with their history, and the installed text its listings' terms allow out,
 * fingerprinted exactly as search serves it.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let sub: Awaited<ReturnType<typeof bed.subscriber>>;
const OPEN = "Mooring lines are doubled when gusts exceed 35 knots.";
const CLOSED = "The night pilot rota is kept by the harbour office.";

beforeAll(async () => {
  bed = await openHttpTestbed();
  const open = await bed.listedCube("mooring-rules", `# Mooring\n\n${OPEN}\n`, { terms: { export: true } });
  const closed = await bed.listedCube("pilot-rota", `# Rota\n\n${CLOSED}\n`);
  sub = await bed.subscriber("Quay Exporters", open.listing.id);
  expect((await bed.api("POST", `/api/v1/store/listings/${closed.listing.id}/acquire`, sub.key)).status).toBe(
    201,
  );
  expect(
    (
      await bed.api("POST", `/api/v1/vaults/${sub.vault.id}/installs`, sub.key, {
        listing_id: closed.listing.id,
      })
    ).status,
  ).toBe(201);
  const memory = (
    await bed.api("POST", `/api/v1/vaults/${sub.vault.id}/memories`, sub.key, {
      text: "Crane 4 is out until Friday.",
    })
  ).body;
  await bed.api(
    "PATCH",
    `/api/v1/vaults/${sub.vault.id}/memories/${memory.memory_id ?? memory.id}`,
    sub.key,
    {
      text: "Crane 4 is back in service.",
    },
  );
  await bed.api("POST", `/api/v1/vaults/${sub.vault.id}/memories`, sub.key, {
    text: "Gate B closes at 22:00.",
  });
  await bed.t.runner.idle();
}, 120_000);
afterAll(async () => bed?.close());

const exported = (format: string) =>
  fetch(`${bed.server.url}/api/v1/vaults/${sub.vault.id}/export?format=${format}`, {
    headers: { authorization: `Bearer ${sub.key}` },
  });

async function tarFiles(response: Response) {
  const files = new Map<string, string>();
  for await (const entry of readTar([Buffer.from(await response.arrayBuffer())], {
    maxEntries: 10,
    maxBytes: 1 << 24,
  })) {
    const parts: Uint8Array[] = [];
    for await (const c of entry.chunks) parts.push(c);
    files.set(entry.path, Buffer.concat(parts).toString());
  }
  return files;
}

describe("vault export", () => {
  it("streams the vault's memories with their history and the exportable installed text as search serves it", async () => {
    const response = await exported("jsonl");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const memories = lines.filter((l) => l.kind === "memory");
    expect(memories.map((m) => [m.text, m.version, m.current])).toEqual(
      expect.arrayContaining([
        ["Crane 4 is out until Friday.", 1, false],
        ["Crane 4 is back in service.", 2, true],
        ["Gate B closes at 22:00.", 1, true],
      ]),
    );
    const installed = lines.filter((l) => l.kind === "installed");
    expect(installed.map((l) => stripMarks(l.text))).toEqual([expect.stringContaining(OPEN)]);
    expect(installed[0]).toMatchObject({
      cube: "mooring-rules",
      version: "1.0.0",
      publisher: "harbour-experts",
    });
    // The listing whose terms do not allow export stays in MemStore.
    expect(lines.some((l) => stripMarks(l.text).includes(CLOSED))).toBe(false);
    // Fingerprinted for this organisation exactly as a search serves it.
    const [served] = await sub.search("mooring lines doubled gusts");
    expect(installed[0].text).toBe(served!.text);
    expect(installed[0].text).not.toBe(stripMarks(installed[0].text));
  });

  it("packs the current memories and exportable text as a MemCube payload of memory items", async () => {
    const files = await tarFiles(await exported("memcube"));
    expect([...files.keys()]).toEqual(["memcube.json", "payload.jsonl"]);
    const manifest = JSON.parse(files.get("memcube.json")!);
    expect(manifest).toMatchObject({ schema: "memstore-vault-export/1", vault: { id: sub.vault.id } });
    const items = files
      .get("payload.jsonl")!
      .trim()
      .split("\n")
      .map((l) => memoryItemSchema.parse(JSON.parse(l)));
    expect(manifest.payload.size).toBe(Buffer.byteLength(files.get("payload.jsonl")!));
    const texts = items.map((i) => stripMarks(i.text));
    expect(texts).toHaveLength(3);
    expect(texts).toEqual(
      expect.arrayContaining([
        "Crane 4 is back in service.",
        "Gate B closes at 22:00.",
        expect.stringContaining(OPEN),
      ]),
    );
  });

  it("writes a MemOS cube directory of the same memories", async () => {
    const files = await tarFiles(await exported("memos"));
    const dir = `vault-${sub.vault.id}`;
    expect(JSON.parse(files.get(`${dir}/config.json`)!)).toMatchObject({
      text_mem: { backend: "general_text" },
    });
    const items = JSON.parse(files.get(`${dir}/textual_memory.json`)!) as Array<{
      payload: { memory: string };
    }>;
    expect(items.map((i) => stripMarks(i.payload.memory))).toHaveLength(3);
  });

  it("refuses an unknown format and another organisation's vault", async () => {
    expect((await exported("csv")).status).toBe(400);
    const other = await bed.organization("Strangers Export", "owner@strangers-export.example.com");
    const refused = await fetch(`${bed.server.url}/api/v1/vaults/${sub.vault.id}/export`, {
      headers: { authorization: `Bearer ${other}` },
    });
    expect(refused.status).toBe(404);
  });
});
