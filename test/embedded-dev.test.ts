import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAllTensors, tokenIds } from "@memstore/formats";
import { DecoderModel, runKvValidation } from "@memstore/inference";
import { buildTinyDecoder } from "@memstore/inference/testing";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Proc, runMemstore, spawnMemstore } from "./support/processes.ts";
import { stripMarks } from "@memstore/watermark";

/** What `npm start` runs: embedded database, in-process jobs, demo data, and the one-owner rule. */
const dataDir = mkdtempSync(join(tmpdir(), "memstore-dev-"));
const env = { MEMSTORE_DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", STORAGE_URL: "" };
let dev: Proc;
let baseUrl: string;

beforeAll(async () => {
  const port = await freePort();
  dev = spawnMemstore(["dev"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  await dev.waitFor(/Demo agent key:/, 90_000);
  baseUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await dev.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("memstore dev (embedded mode)", () => {
  it("prints the portal URL, demo logins and an agent key that searches the demo vault", async () => {
    const out = dev.output();
    expect(out).toMatch(/MemStore is ready in [\d.]+ s \(embedded database/);
    expect(out).toMatch(/Demo publisher: +publisher@demo\.memstore\.local \/ \S+/);
    const [, key, vault] = out.match(/Demo agent key: +(msk_\w+) +\(vault (vault_\w+)\)/)!;
    const agent = new MemStoreClient({ baseUrl, apiKey: key! });
    const { results } = await agent.search(vault!, { query: "standard VAT rate in France", top_k: 1 });
    expect(results[0]).toMatchObject({
      source: "install",
      cube: { slug: "eu-vat-essentials", publisher: "acme-experts" },
    });
    expect(stripMarks(results[0]!.text)).toContain("France applies a standard VAT rate of 20 percent");
    expect(await agent.health()).toMatchObject({ status: "ok" });
  });

  it("takes test payments through the in-process stand-in, and shows anyone the demo's paid listing", async () => {
    expect(dev.output()).toMatch(
      /Payments: +test mode — a local Stripe stand-in at http:\/\/127\.0\.0\.1:\d+/,
    );
    // Browsing the store needs no account: the portal's own call, made without a session.
    const input = encodeURIComponent(JSON.stringify({ 0: { q: "customs", limit: 24 } }));
    const answer = await fetch(`${baseUrl}/api/trpc/store.search?batch=1&input=${input}`);
    expect(answer.status).toBe(200);
    const [{ result }] = (await answer.json()) as [
      { result: { data: { items: Array<Record<string, unknown>> } } },
    ];
    expect(result.data.items).toContainEqual(
      expect.objectContaining({
        cube: expect.objectContaining({ title: "EU customs checklist" }),
        pricing: { model: "one_time", amount_cents: 1900, currency: "eur" },
      }),
    );
  });

  it("installs the tiny model's KV snapshot of the guide, whose downloaded copy reproduces the guide's logits", async () => {
    const out = dev.output();
    const [, key, vault] = out.match(/Demo agent key: +(msk_\w+) +\(vault (vault_\w+)\)/)!;
    const get = (path: string) => fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const installs = (await (await get(`/api/v1/vaults/${vault}/installs`)).json()) as {
      items: { id: string; cube: { slug: string } }[];
    };
    expect(installs.items.map((i) => i.cube.slug).sort()).toEqual(
      ["eu-vat-essentials", "eu-vat-kv-tiny-llama", "incident-runbook", "vat-tone-lora"].sort(),
    );
    const kv = installs.items.find((i) => i.cube.slug === "eu-vat-kv-tiny-llama")!;
    const response = await get(`/api/v1/vaults/${vault}/installs/${kv.id}/payload`);
    expect(response.status).toBe(200);
    const { tensors } = await readAllTensors([Buffer.from(await response.arrayBuffer())]);
    const ids = tokenIds(tensors.get("input_ids")!.data, "I64");
    const floats = (n: string) => {
      const d = tensors.get(n)!.data;
      return new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    };
    const cache = {
      tokens: ids.length,
      layers: [0, 1].map((l) => ({
        key: floats(`past_key_values.${l}.key`),
        value: floats(`past_key_values.${l}.value`),
      })),
    };
    const model = await DecoderModel.load(buildTinyDecoder().onnx, {
      layers: 2,
      kvHeads: 2,
      headDim: 8,
      vocabSize: 300,
    });
    expect((await runKvValidation(model, { ids, cache })).passed).toBe(true);
    await model.close();
    const lora = installs.items.find((i) => i.cube.slug === "vat-tone-lora")!;
    expect(
      (await get(`/api/v1/vaults/${vault}/installs/${lora.id}/payload`)).headers.get("content-type"),
    ).toBe("application/x-tar");
  });

  it("refuses plainly, non-zero, to open the embedded database another process holds", async () => {
    const result = await runMemstore(["admin", "create-org", "Other", "--owner", "x@example.com"], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^memstore: The embedded database in .* is in use by another MemStore process \(pid \d+/,
    );
  });
});
