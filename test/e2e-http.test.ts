import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemStoreApiError, MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Proc, runMemstore, spawnMemstore } from "./support/processes.ts";
import { createTestDatabase, servicesEnv, type TestDatabase } from "./support/services.ts";
import { stripMarks } from "@memstore/watermark";
import { writeSafetensors } from "@memstore/formats";
import { writeTinyDecoder } from "@memstore/inference/testing";
import { bytesOf, LORA_CONFIG, loraTensors, modelKvSnapshot, PROMPT_IDS } from "./support/binary-fixtures.ts";

/**
 * The whole plaintext path over HTTP in services mode: organisations made with the CLI, versions
 * published with `memstore publish`, the API served by `memstore serve` and processed by a
 * `memstore worker`, and a subscriber's agent searching and writing memories with its key.
 */
const dir = mkdtempSync(join(tmpdir(), "memstore-e2e-"));
let database: TestDatabase;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];
type Org = { org_id: string; user_id: string; api_key: string };
let publisherOrg: Org;
let subscriberOrg: Org;
let thirdOrg: Org;
const listings: Record<string, string> = {};

const JSONL = [
  { text: "The standard VAT rate in France is 20 percent.", tags: ["tax"] },
  { text: "Hungary applies the highest standard VAT rate in the EU, 27 percent.", tags: ["tax"] },
]
  .map((i) => JSON.stringify(i))
  .join("\n");
const MARKDOWN =
  "# Espresso guide\n\n## Grind\n\nA fine grind and 9 bar of pressure extract espresso in about 25 seconds.\n";

async function createOrg(name: string, email: string): Promise<Org> {
  const { code, stdout, stderr } = await runMemstore(
    ["admin", "create-org", name, "--owner", email, "--password", "s3cret-pass"],
    env,
  );
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Org;
}

async function expectProblem(promise: Promise<unknown>, status: number, code: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemStoreApiError);
  expect((error as MemStoreApiError).problem).toMatchObject({ status, code });
}

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  env = {
    ...servicesEnv(database, dir),
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: baseUrl,
    MAX_PLAINTEXT_BYTES: String(64 * 1024),
    // The API end to end; the portal's production build is test/serve-processes.test.ts's.
    PORTAL: "off",
  };
  const migrated = await runMemstore(["migrate"], env);
  expect(migrated.code, migrated.stderr).toBe(0);
  const server = spawnMemstore(["serve"], env);
  const worker = spawnMemstore(["worker"], env);
  procs.push(server, worker);
  await Promise.all([server.waitFor(/listening on/), worker.waitFor(/ready/)]);
  publisherOrg = await createOrg("Acme Experts", "pub@acme.example.com");
  subscriberOrg = await createOrg("Globex", "ops@globex.example.com");
  thirdOrg = await createOrg("Initech", "it@initech.example.com");
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

const as = (org: Org, key = org.api_key) => new MemStoreClient({ baseUrl, apiKey: key });

describe("end to end over HTTP", () => {
  it("serves health and the OpenAPI 3.1 document generated from the request schemas", async () => {
    expect(await new MemStoreClient({ baseUrl }).health()).toEqual({
      status: "ok",
      db: "ok",
      queue: "ok",
      storage: "ok",
    });
    const doc = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(
      doc.paths["/api/v1/vaults/{vault_id}/search"]!.post!.requestBody!.content["application/json"]!.schema
        .required,
    ).toContain("query");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/cubes",
        "/api/v1/store/listings/{listing_id}/acquire",
        "/api/v1/keys/{key_id}",
      ]),
    );
  });

  it("publishes JSONL and Markdown versions with the CLI, which waits for ready and lists them", async () => {
    const files = { "vat.jsonl": JSONL, "espresso.md": MARKDOWN };
    for (const [name, content] of Object.entries(files)) {
      const file = join(dir, name);
      writeFileSync(file, content);
      const slug = name.split(".")[0]!;
      const result = await runMemstore(
        [
          "publish",
          file,
          "--cube",
          slug,
          "--version",
          "1.0.0",
          "--title",
          `${slug} facts`,
          "--list-free",
          "--url",
          baseUrl,
        ],
        { ...env, MEMSTORE_API_KEY: publisherOrg.api_key },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/upload \[.*\] 100%/);
      expect(result.stderr).toMatch(/embed: succeeded/);
      const out = JSON.parse(result.stdout) as { status: string; listing_id: string };
      expect(out.status).toBe("ready");
      listings[slug] = out.listing_id;
    }
  });

  it("prints the rejection report for an invalid JSONL line and exits non-zero", async () => {
    const file = join(dir, "broken.jsonl");
    writeFileSync(file, `${JSONL}\nnot json\n`);
    const result = await runMemstore(
      ["publish", file, "--cube", "broken", "--version", "1.0.0", "--url", baseUrl],
      {
        ...env,
        MEMSTORE_API_KEY: publisherOrg.api_key,
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rejected by ingest/);
    expect(result.stderr).toMatch(/"line": 3/);
  });

  let vaultId: string;
  let agentKey: string;

  it("lets a second organisation acquire, install and search with an agent key, with provenance", async () => {
    const owner = as(subscriberOrg);
    const found = await owner.searchStore({ q: "espresso pressure" });
    expect(found.items.map((l) => l.id)).toContain(listings.espresso);

    const vault = await owner.createVault({ name: "kitchen" });
    vaultId = vault.id;
    for (const id of Object.values(listings)) {
      const acquired = await owner.acquire(id);
      expect(acquired).toHaveProperty("entitlement.id");
      const install = await owner.install(vault.id, { listing_id: id, version_policy: "latest" });
      expect(install).toMatchObject({ version: "1.0.0", state: "activated" });
    }
    agentKey = (
      await owner.createKey({ name: "agent", scopes: ["vault:read", "vault:write"], vault_id: vault.id })
    ).key;
    expect(agentKey).toMatch(/^msk_/);

    const agent = new MemStoreClient({ baseUrl, apiKey: agentKey });
    const { results } = await agent.search(vault.id, {
      query: "how long does espresso extraction take",
      top_k: 3,
    });
    expect(stripMarks(results[0]!.text)).toContain("9 bar of pressure");
    expect(results[0]!.cube).toMatchObject({ slug: "espresso", version: "1.0.0", publisher: "acme-experts" });

    const cli = await runMemstore(["search", vault.id, "VAT", "rate", "Hungary", "--url", baseUrl], {
      ...env,
      MEMSTORE_API_KEY: agentKey,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(stripMarks(cli.stdout)).toMatch(/acme-experts\/vat@1\.0\.0\n\s+Hungary applies the highest/);
  });

  it("lets the agent write, update (with history) and archive its own memories", async () => {
    const agent = new MemStoreClient({ baseUrl, apiKey: agentKey });
    const memory = await agent.createMemory(vaultId, {
      text: "Dana takes her espresso without sugar",
      tags: ["people"],
    });
    expect(memory.version).toBe(1);
    const updated = await agent.updateMemory(vaultId, memory.id, {
      text: "Dana takes her espresso with one sugar",
    });
    expect(updated).toMatchObject({ id: memory.id, version: 2 });
    const history = await agent.memoryHistory(vaultId, memory.id);
    expect(history.items.map((h) => h.text)).toEqual([
      "Dana takes her espresso without sugar",
      "Dana takes her espresso with one sugar",
    ]);
    const hits = await agent.search(vaultId, { query: "Dana sugar", top_k: 1 });
    expect(hits.results[0]).toMatchObject({
      id: memory.id,
      source: "memory",
      text: "Dana takes her espresso with one sugar",
    });
    const archived = await agent.archiveMemory(vaultId, memory.id);
    expect(archived.state).toBe("archived");
    expect(
      (await agent.search(vaultId, { query: "Dana sugar", top_k: 5 })).results.some(
        (r) => r.id === memory.id,
      ),
    ).toBe(false);
  });

  it("hides one organisation's vault from another (404) and needs an entitlement to install (402)", async () => {
    const third = as(thirdOrg);
    await expectProblem(third.search(vaultId, { query: "espresso" }), 404, "not_found");
    await expectProblem(third.listInstalls(vaultId), 404, "not_found");
    const own = await third.createVault({ name: "mine" });
    await expectProblem(
      third.install(own.id, { listing_id: listings.espresso! }),
      402,
      "entitlement_required",
    );
  });

  it("answers 401 without a valid key and 403 for a missing scope, and revokes keys at once", async () => {
    await expectProblem(new MemStoreClient({ baseUrl }).listCubes(), 401, "unauthenticated");
    await expectProblem(
      new MemStoreClient({ baseUrl, apiKey: "msk_notarealkey000000000000" }).listCubes(),
      401,
      "unauthenticated",
    );
    const agent = new MemStoreClient({ baseUrl, apiKey: agentKey });
    await expectProblem(agent.createCube({ slug: "nope", type: "plaintext", title: "x" }), 403, "forbidden");
    const owner = as(subscriberOrg);
    const temp = await owner.createKey({ name: "temp", scopes: ["vault:read"] });
    await new MemStoreClient({ baseUrl, apiKey: temp.key }).search(vaultId, { query: "espresso" });
    await owner.revokeKey(temp.id);
    await expectProblem(
      new MemStoreClient({ baseUrl, apiKey: temp.key }).search(vaultId, { query: "espresso" }),
      401,
      "unauthenticated",
    );
    // Keys list like every list: `limit` and `cursor`, newest first, the revoked one marked.
    await owner.createKey({ name: "later", scopes: ["vault:read"] });
    const first = await owner.listKeys({ limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(["later", "temp"]);
    expect(first.items[1]).toMatchObject({ revoked_at: expect.any(String) });
    expect(first.next_cursor).toEqual(expect.any(String));
    const rest = await owner.listKeys({ limit: 50, cursor: first.next_cursor! });
    expect(rest.items.length).toBeGreaterThan(0);
    expect(rest.items.map((k) => k.name)).not.toContain("temp");
    expect(rest.next_cursor).toBeNull();
  });

  it("answers each kind of bad input with its documented status and code", async () => {
    const pub = as(publisherOrg);
    const raw = (path: string, init: RequestInit) =>
      fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${publisherOrg.api_key}`, ...init.headers },
      });

    const invalidJson = await raw("/api/v1/cubes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{oops",
    });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.headers.get("content-type")).toBe("application/problem+json");
    expect(await invalidJson.json()).toMatchObject({
      code: "invalid_json",
      status: 400,
      title: "Bad Request",
    });

    await expectProblem(
      pub.createCube({ slug: "Bad Slug!", type: "plaintext", title: "x" }),
      400,
      "invalid_input",
    );
    await expectProblem(
      pub.createCube({ slug: "vat", type: "plaintext", title: "again" }),
      409,
      "slug_taken",
    );

    const cube = await pub.createCube({ slug: "inputs", type: "plaintext", title: "Inputs" });
    await pub.createVersion(cube.id, { version: "1.0.0" });
    await expectProblem(pub.createVersion(cube.id, { version: "1.0.0" }), 409, "version_exists");
    await expectProblem(
      pub.uploadPayload(cube.id, "1.0.0", "\x80\x02pickle", "application/octet-stream"),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      pub.uploadPayload(cube.id, "1.0.0", "x".repeat(70 * 1024), "text/plain"),
      413,
      "payload_too_large",
    );
    await expectProblem(pub.submitVersion(cube.id, "1.0.0"), 409, "payload_missing");

    // Invalid UTF-8 is accepted as bytes and rejected by the pipeline with the offset.
    await pub.uploadPayload(cube.id, "1.0.0", Buffer.from([0x68, 0x69, 0x20, 0xc3, 0x28]), "text/plain");
    await pub.submitVersion(cube.id, "1.0.0");
    const rejected = await pub.waitForVersion(cube.id, "1.0.0", { intervalMs: 100 });
    expect(rejected.status).toBe("rejected");
    expect(rejected.runs[0]!.report.error).toMatchObject({ code: "invalid_utf8", byte_offset: 3 });
    await expectProblem(pub.uploadPayload(cube.id, "1.0.0", "late", "text/plain"), 409, "version_not_draft");

    await expectProblem(
      pub.createListing({
        cube_id: cube.id,
        visibility: "public",
        // A price without its currency is not a price: the SDK's types say so, and so does the server.
        // @ts-expect-error -- sent anyway, to see the server refuse it
        pricing: { model: "subscription", amount_cents: 500, interval: "month" },
      }),
      400,
      "invalid_input",
    );
    const listing = await pub.createListing({
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
    });
    await expectProblem(pub.publishListing(listing.id), 409, "no_ready_version");
    await expectProblem(pub.getCube("cube_doesnotexist"), 404, "not_found");
    await expectProblem(as(subscriberOrg).getCube(cube.id), 404, "not_found");
  });

  it("publishes a PEFT adapter directory and a KV snapshot file with the CLI against a model registered with it", async () => {
    const model = writeTinyDecoder(join(dir, "tiny-llama"));
    const registered = await runMemstore(["admin", "register-model", model.dir], env);
    expect(registered.code, registered.stderr).toBe(0);
    const publish = (path: string, slug: string) =>
      runMemstore(["publish", path, "--cube", slug, "--version", "1.0.0", "--url", baseUrl], {
        ...env,
        MEMSTORE_API_KEY: publisherOrg.api_key,
      });

    // save_pretrained's output: the config, the weights and a README the pack does not need.
    const adapter = join(dir, "tone-adapter");
    mkdirSync(adapter);
    writeFileSync(join(adapter, "adapter_config.json"), JSON.stringify(LORA_CONFIG));
    writeFileSync(join(adapter, "adapter_model.safetensors"), await bytesOf(writeSafetensors(loraTensors())));
    writeFileSync(join(adapter, "README.md"), "# Tone adapter\n");
    const pack = await publish(adapter, "tone-adapter");
    expect(pack.code, pack.stderr).toBe(0);
    expect(pack.stderr).toMatch(/uploading the LoRA adapter in .*tone-adapter/);
    expect(pack.stderr).toMatch(/upload \[.*\] 100%/);
    expect(pack.stderr).toMatch(/validate: succeeded/);
    expect(JSON.parse(pack.stdout)).toMatchObject({ status: "ready" });
    const packCube = (await as(publisherOrg).listCubes({ limit: 200 })).items.find(
      (c) => c.slug === "tone-adapter",
    )!;
    expect(packCube.type).toBe("parametric");
    const packVersion = await as(publisherOrg).getVersion(packCube.id, "1.0.0");
    const validated = packVersion.runs.find((r) => r.kind === "validate")!.report as {
      run: { modules: unknown[] };
    };
    expect(validated.run.modules).toHaveLength(4);

    const snapshotFile = join(dir, "prompt.safetensors");
    writeFileSync(snapshotFile, await modelKvSnapshot(model.onnx, PROMPT_IDS));
    const snapshot = await publish(snapshotFile, "prompt-kv");
    expect(snapshot.code, snapshot.stderr).toBe(0);
    expect(JSON.parse(snapshot.stdout)).toMatchObject({ status: "ready" });

    // Pickle weights are refused before anything is uploaded; so is memory of the wrong type.
    const pickled = join(dir, "pickled-adapter");
    mkdirSync(pickled);
    writeFileSync(join(pickled, "adapter_config.json"), JSON.stringify(LORA_CONFIG));
    writeFileSync(join(pickled, "adapter_model.bin"), Buffer.from([0x80, 0x04, 0x95]));
    const refused = await publish(pickled, "pickled-adapter");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/adapter_model\.bin is a pickle file.*convert it to safetensors/);
    const wrongType = await publish(snapshotFile, "espresso");
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toMatch(
      /espresso is a plaintext cube; .*prompt\.safetensors is activation memory/,
    );
    const cubes = (await as(publisherOrg).listCubes({ limit: 200 })).items.map((c) => c.slug);
    expect(cubes).not.toContain("pickled-adapter");
  }, 120_000);
});
