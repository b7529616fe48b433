import { cubes } from "@memstore/db";
import { readTar, writeTar } from "@memstore/formats";
import { eq } from "drizzle-orm";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

/**
 * MemOS interoperability: a MemOS cube directory of either textual backend imported as a plaintext
 * cube (text, tags and metadata kept, vectors dropped, status as lifecycle), its activation pickle
 * refused, and a ready version exported back as a directory in the shape MemOS's loader takes.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
const sdk = () => bed.client();

beforeAll(async () => {
  bed = await openHttpTestbed();
});
afterAll(async () => bed?.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const vector = (n: number) => Array.from({ length: 8 }, (_, i) => Math.sin(n + i));
const config = (cubeId: string, backend: string) => ({
  model_schema: "memos.configs.mem_cube.GeneralMemCubeConfig",
  user_id: "root",
  cube_id: cubeId,
  config_filename: "config.json",
  text_mem: { backend, config: { cube_id: cubeId, memory_filename: "textual_memory.json" } },
  act_mem: { backend: "uninitialized", config: {} },
  para_mem: { backend: "uninitialized", config: {} },
});
// Exported JSON, read field by field by the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const collect = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

/** A MemOS cube directory as `tar -c <dir>` makes it. */
async function cubeDir(dir: string, files: Record<string, unknown>): Promise<Buffer> {
  const entries = Object.entries(files).map(([name, value]) => {
    const data = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value, null, 4));
    return { path: `${dir}/${name}`, size: data.length, data };
  });
  return Buffer.concat(await collect(writeTar(entries)));
}

const importMemos = (tar: Buffer, query = "") =>
  fetch(`${bed.server.url}/api/v1/import/memos${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/x-tar" },
    body: new Uint8Array(tar),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

/** A general_text dump: vector-db items as MemOS's `GeneralTextMemory.dump` writes them. */
const GENERAL = [
  {
    id: "3f1c5b7e-2a4d-4c8e-9b1a-0d2e3f4a5b6c",
    vector: vector(1),
    payload: {
      id: "3f1c5b7e-2a4d-4c8e-9b1a-0d2e3f4a5b6c",
      memory: "The harbour master's office opens at 06:00 on weekdays.",
      metadata: {
        user_id: "root",
        status: "activated",
        type: "fact",
        source: "conversation",
        tags: ["hours"],
        confidence: 0.9,
        updated_at: "2026-10-01T08:00:00",
      },
    },
  },
  {
    id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    vector: vector(2),
    payload: {
      id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      memory: "Pilot boarding moved from buoy 3 to buoy 5 in 2024.",
      metadata: { status: "archived", type: "fact", tags: ["pilotage"], updated_at: "2025-03-01T00:00:00" },
    },
  },
  {
    id: "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
    vector: vector(3),
    payload: {
      id: "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
      memory: "A draft that was deleted.",
      metadata: { status: "deleted" },
    },
  },
];

describe("MemOS cubes", () => {
  let cubeId: string;

  it("imports a general_text cube: text, tags and metadata kept, vectors dropped, status as lifecycle", async () => {
    const tar = await cubeDir("harbour_facts", {
      "config.json": config("harbour_facts", "general_text"),
      "textual_memory.json": GENERAL,
    });
    const imported = await importMemos(tar, "?title=Harbour%20facts");
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({
      backend: "general_text",
      items: 2,
      skipped: [{ id: "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e", reason: "deleted in MemOS" }],
      version: { version: "1.0.0", status: "draft", content_type: "application/x-ndjson" },
    });
    cubeId = imported.body.cube_id;
    const [cube] = await bed.t.ctx.db.select().from(cubes).where(eq(cubes.id, cubeId));
    expect(cube).toMatchObject({ slug: "harbour-facts", title: "Harbour facts", type: "plaintext" });
    await sdk().submitVersion(cubeId, "1.0.0");
    await bed.t.runner.idle();
    expect((await sdk().getVersion(cubeId, "1.0.0")).status).toBe("ready");
  });

  it("exports a ready version as a cube directory MemOS's general backend loads, and round-trips", async () => {
    const response = await fetch(`${bed.server.url}/api/v1/cubes/${cubeId}/versions/1.0.0/memos`, {
      headers: { authorization: `Bearer ${bed.publisherKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-tar");
    const files = new Map<string, Record<string, unknown> | unknown[]>();
    for await (const entry of readTar([Buffer.from(await response.arrayBuffer())], {
      maxEntries: 10,
      maxBytes: 1 << 24,
    }))
      files.set(entry.path, JSON.parse(Buffer.concat(await collect(entry.chunks)).toString()));
    expect([...files.keys()]).toEqual(["harbour-facts/config.json", "harbour-facts/textual_memory.json"]);
    const cfg = files.get("harbour-facts/config.json") as Record<string, Json>;
    expect(cfg).toMatchObject({
      model_schema: "memos.configs.mem_cube.GeneralMemCubeConfig",
      cube_id: "harbour-facts",
      text_mem: { backend: "general_text", config: { memory_filename: "textual_memory.json" } },
      act_mem: { backend: "uninitialized" },
    });
    const items = files.get("harbour-facts/textual_memory.json") as Array<Record<string, Json>>;
    // Each is a VecDBItem (id, vector, payload; nothing else) whose payload is a TextualMemoryItem.
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(["id", "payload", "vector"]);
      expect(item.id).toMatch(UUID);
      expect(Object.keys(item.payload).sort()).toEqual(["id", "memory", "metadata"]);
      expect(item.payload.id).toBe(item.id);
      expect(item.vector).toHaveLength(cfg.text_mem.config.vector_db.config.vector_dimension);
      expect(["activated", "archived"]).toContain(item.payload.metadata.status);
      expect(item.payload.metadata.source).toBe("file");
    }
    const byText = Object.fromEntries(items.map((i) => [i.payload.memory, i.payload.metadata]));
    expect(byText["The harbour master's office opens at 06:00 on weekdays."]).toMatchObject({
      status: "activated",
      tags: ["hours"],
    });
    expect(byText["Pilot boarding moved from buoy 3 to buoy 5 in 2024."]).toMatchObject({
      status: "archived",
    });

    // Back in: the export imports as the next version with the same memories.
    const again = await importMemos(
      await cubeDir("harbour_facts", {
        "config.json": cfg,
        "textual_memory.json": items,
      }),
    );
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toMatchObject({ cube_id: cubeId, items: 2, version: { version: "1.1.0" } });
  });

  it("imports a tree_text cube's nodes, keeping their memory type, key and sources", async () => {
    const tree = {
      nodes: [
        {
          id: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
          memory: "Tugs are mandatory for tankers over 150 metres.",
          metadata: {
            memory_type: "LongTermMemory",
            key: "Tug rule",
            status: "activated",
            tags: ["tugs"],
            sources: [{ type: "doc", doc_path: "rules.pdf" }],
            embedding: vector(4),
            background: "",
            usage: [],
          },
        },
        {
          id: "6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b",
          memory: "The user prefers answers in metres.",
          metadata: { memory_type: "UserMemory", key: "Units", status: "activated", tags: [] },
        },
      ],
      edges: [
        {
          source: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
          target: "6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b",
          type: "RELATE_TO",
        },
      ],
      total_nodes: 2,
      total_edges: 1,
    };
    const imported = await importMemos(
      await cubeDir("tree_cube", {
        "config.json": config("tree_cube", "tree_text"),
        "textual_memory.json": tree,
      }),
      "?slug=port-rules",
    );
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ backend: "tree_text", items: 2, skipped: [] });
    const payload = await fetch(`${bed.server.url}/api/v1/cubes/${imported.body.cube_id}/versions/1.0.0`, {
      headers: { authorization: `Bearer ${bed.publisherKey}` },
    }).then((r) => r.json());
    expect(payload.size).toBeGreaterThan(0);
    const stored = Buffer.concat(await collect<Buffer>(await bed.t.ctx.blobs.get(payload.digest)));
    const [line] = stored.toString().split("\n");
    const first = JSON.parse(line!);
    expect(first).toMatchObject({
      text: "Tugs are mandatory for tankers over 150 metres.",
      tags: ["tugs"],
      metadata: {
        memos: { memory_type: "LongTermMemory", key: "Tug rule", sources: [{ doc_path: "rules.pdf" }] },
      },
    });
    expect(first.metadata.memos.embedding).toBeUndefined();
  });

  it("refuses at the door a memory holding a NUL or a lone surrogate, and creates no cube or draft", async () => {
    const cubesBefore = await bed.t.ctx.db.select().from(cubes);
    for (const [memory, problem] of [
      ["Berth 4\u0000closes at 22:00.", "NUL"],
      ["Berth 4 \ud800closes at 22:00.", "lone surrogate"],
    ] as const) {
      const item = { ...GENERAL[0]!, payload: { ...GENERAL[0]!.payload, memory } };
      const tar = await cubeDir("poisoned_facts", {
        "config.json": config("poisoned_facts", "general_text"),
        "textual_memory.json": [GENERAL[1], item],
      });
      const refused = await importMemos(tar);
      expect([refused.status, refused.body.code], problem).toEqual([400, "invalid_input"]);
      expect(refused.body.detail).toContain(`memory 2: text holds a ${problem}`);
    }
    expect(await bed.t.ctx.db.select().from(cubes)).toHaveLength(cubesBefore.length);
  });

  it("refuses a MemOS directory or a bundle sent as JSON with 415, before reading it", async () => {
    for (const path of ["/api/v1/import/memos", "/api/v1/bundles"]) {
      const refused = await bed.api("POST", path, bed.publisherKey, { config: {}, textual_memory: [] });
      expect([refused.status, refused.body.code], path).toEqual([415, "unsupported_media_type"]);
      expect(refused.body.detail).toContain("application/x-tar");
    }
  });

  it("refuses an activation pickle with how to convert it, and says a parametric adapter is not imported", async () => {
    const before = (await bed.t.ctx.db.select().from(cubes)).length;
    const pickled = await importMemos(
      await cubeDir("kv_cube", {
        "config.json": config("kv_cube", "general_text"),
        "textual_memory.json": GENERAL.slice(0, 1),
        "activation_memory.pickle": Buffer.from([0x80, 0x04, 0x95]),
      }),
    );
    expect(pickled.status).toBe(415);
    expect(pickled.body.code).toBe("pickle_refused");
    expect(pickled.body.detail).toMatch(/safetensors/);
    expect((await bed.t.ctx.db.select().from(cubes)).length).toBe(before);

    const adapter = await importMemos(
      await cubeDir("para_cube", {
        "config.json": config("para_cube", "general_text"),
        "textual_memory.json": GENERAL.slice(0, 1),
        "parametric_memory.adapter": Buffer.from("placeholder"),
      }),
    );
    expect(adapter.status).toBe(201);
    expect(adapter.body.notes).toEqual([
      expect.stringMatching(/parametric_memory\.adapter: a parametric adapter .* PEFT LoRA pack/),
    ]);

    // A cube slug the caller names is a slug, or the import is refused before anything is made.
    const badSlug = await importMemos(
      await cubeDir("slug_cube", {
        "config.json": config("slug_cube", "general_text"),
        "textual_memory.json": GENERAL,
      }),
      "?slug=Not%20A%20Slug!",
    );
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.code).toBe("invalid_input");
  });

  it("imports a MemOS directory from the command line: memstore import memos <dir>", async () => {
    const root = mkdtempSync(join(tmpdir(), "memstore-memos-"));
    const dir = join(root, "ops_notes");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), JSON.stringify(config("ops_notes", "general_text")));
    writeFileSync(join(dir, "textual_memory.json"), JSON.stringify(GENERAL));
    const run = await runMemstore(["import", "memos", dir], {
      MEMSTORE_URL: bed.server.url,
      MEMSTORE_API_KEY: bed.publisherKey,
    });
    rmSync(root, { recursive: true, force: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/imported 2 memories \(general_text\) as draft 1\.0\.0 of cube cube_\w+/);
    expect(run.stdout).toMatch(/skipped +0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e: deleted in MemOS/);
  });

  it("imports a Mem0 export's memories as plaintext items, keeping who they were about", async () => {
    const response = await fetch(`${bed.server.url}/api/v1/import/mem0?slug=assistant-notes`, {
      method: "POST",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        results: [
          {
            id: "a1",
            memory: "Prefers berth slots before 08:00",
            hash: "h1",
            metadata: { confidence: "high" },
            categories: ["preferences"],
            user_id: "alice",
            created_at: "2026-09-01T10:00:00Z",
            updated_at: null,
          },
          { id: "a2", memory: "Works for the Fjord ferry line", user_id: "alice", agent_id: "ops-bot" },
          { id: "a3", memory: "" },
        ],
      }),
    });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({
      items: 2,
      skipped: [{ id: "a3" }],
      version: { version: "1.0.0", status: "draft" },
    });
    const stored = Buffer.concat(await collect<Buffer>(await bed.t.ctx.blobs.get(body.version.digest)));
    const [first, second] = stored
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      text: "Prefers berth slots before 08:00",
      tags: ["preferences"],
      metadata: { mem0: { id: "a1", user_id: "alice", metadata: { confidence: "high" } } },
    });
    expect(second.metadata.mem0).toMatchObject({ user_id: "alice", agent_id: "ops-bot" });
  });
});
