import { createHash } from "node:crypto";
import { AppError, type MemoryItem, memoryItemSchema } from "@memstore/core";

/**
 * MemOS (MemTensor/MemOS 2.0) cube directories, read and written. A cube is `config.json`
 * (`model_schema`, `user_id`, `cube_id`, and `text_mem` / `act_mem` / `para_mem` / `pref_mem`, each
 * `{ backend, config }`) beside its memories' files. The textual memory file of the `general_text`
 * backend is a list of vector-db items `{ id, vector, payload: { id, memory, metadata } }`; the
 * `tree_text` backend's is a graph `{ nodes: [{ id, memory, metadata }], edges, total_nodes,
 * total_edges }`. Vectors are dropped on import (MemStore embeds with its own model) and written on
 * export with the model named.
 */
export type MemosConfig = {
  model_schema: string;
  user_id?: string;
  cube_id?: string;
  text_mem?: { backend: string; config?: Record<string, unknown> };
};

type MemosItem = { id?: unknown; memory?: unknown; metadata?: Record<string, unknown> };

/** What an import made of a textual memory file: items, and what it left out and why. */
export type MemosReading = {
  backend: string;
  items: MemoryItem[];
  skipped: Array<{ id: string; reason: string }>;
};

export function readMemosConfig(text: string): MemosConfig {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new AppError("invalid_input", "config.json is not JSON");
  }
  const c = config as MemosConfig;
  if (
    !c ||
    typeof c !== "object" ||
    typeof c.model_schema !== "string" ||
    !/MemCubeConfig$/.test(c.model_schema)
  )
    throw new AppError(
      "invalid_input",
      "config.json is not a MemOS cube config (model_schema …MemCubeConfig)",
    );
  return c;
}

/** A MemOS memory's metadata kept on the item, without its vector and the fields MemStore reads itself. */
function keptMetadata(metadata: Record<string, unknown>, id: string): Record<string, unknown> {
  const { embedding: _embedding, tags: _tags, ...rest } = metadata;
  return { memos: { id, ...rest } };
}

/** A MemOS item as a MemStore memory item: its text, tags and metadata; its status as a lifecycle. */
function toItem(raw: MemosItem, skipped: MemosReading["skipped"]): MemoryItem | null {
  const id = typeof raw.id === "string" ? raw.id : "(no id)";
  if (typeof raw.memory !== "string" || raw.memory.trim() === "") {
    skipped.push({ id, reason: "no memory text" });
    return null;
  }
  const metadata = raw.metadata && typeof raw.metadata === "object" ? raw.metadata : {};
  const status = typeof metadata.status === "string" ? metadata.status : "activated";
  if (status === "deleted") {
    skipped.push({ id, reason: "deleted in MemOS" });
    return null;
  }
  const tags = Array.isArray(metadata.tags)
    ? metadata.tags
        .filter((t): t is string => typeof t === "string" && t.length > 0 && t.length <= 64)
        .slice(0, 64)
    : [];
  const updated = typeof metadata.updated_at === "string" ? Date.parse(metadata.updated_at) : Number.NaN;
  const candidate = {
    text: raw.memory,
    tags,
    metadata: keptMetadata(metadata, id),
    // An archived MemOS memory is kept as history: valid until it was archived.
    ...(status === "archived" && {
      valid_until: new Date(Number.isNaN(updated) ? 0 : updated).toISOString(),
    }),
  };
  const parsed = memoryItemSchema.safeParse(candidate);
  if (!parsed.success) {
    skipped.push({ id, reason: parsed.error.issues[0]!.message });
    return null;
  }
  return parsed.data;
}

/** The items of a `general_text` or `tree_text` textual memory file. */
export function readMemosTextual(text: string): MemosReading {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid_input", "textual_memory.json is not JSON");
  }
  const skipped: MemosReading["skipped"] = [];
  if (Array.isArray(value)) {
    const items = value
      .map((entry) => toItem((entry as { payload?: MemosItem })?.payload ?? {}, skipped))
      .filter((i): i is MemoryItem => i !== null);
    return { backend: "general_text", items, skipped };
  }
  const graph = value as { nodes?: unknown };
  if (value && typeof value === "object" && Array.isArray(graph.nodes)) {
    const items = (graph.nodes as MemosItem[])
      .map((n) => toItem(n, skipped))
      .filter((i): i is MemoryItem => i !== null);
    return { backend: "tree_text", items, skipped };
  }
  throw new AppError(
    "invalid_input",
    "textual_memory.json is neither a general_text dump (a list of items) nor a tree_text one ({ nodes, edges })",
  );
}

/** A UUID (version 4 form, as MemOS's items require) derived from an id: the same id, the same UUID. */
export function uuidOf(id: string): string {
  const h = createHash("sha256").update(id).digest("hex").split("");
  h[12] = "4";
  h[16] = "89ab"[parseInt(h[16]!, 16) % 4]!;
  const x = h.join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export type ExportChunk = {
  id: string;
  text: string;
  heading: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  embedding: number[] | null;
  /** Its validity ended (an archived memory): MemOS status `archived`. */
  ended: boolean;
};

/** A cube directory MemOS's `GeneralMemCube.init_from_dir` loads with the general textual backend. */
export function memosCubeFiles(
  cube: { slug: string; publisher: string; version: string; created: string },
  embedder: { model: string; dimension: number },
  chunks: ExportChunk[],
): Array<{ path: string; data: Buffer }> {
  const uninitialized = { backend: "uninitialized", config: {} };
  const config = {
    model_schema: "memos.configs.mem_cube.GeneralMemCubeConfig",
    user_id: cube.publisher,
    cube_id: cube.slug,
    config_filename: "config.json",
    text_mem: {
      backend: "general_text",
      config: {
        cube_id: cube.slug,
        memory_filename: "textual_memory.json",
        extractor_llm: { backend: "ollama", config: { model_name_or_path: "qwen3:0.6b" } },
        vector_db: {
          backend: "qdrant",
          config: {
            collection_name: cube.slug,
            vector_dimension: embedder.dimension,
            distance_metric: "cosine",
          },
        },
        embedder: { backend: "sentence_transformer", config: { model_name_or_path: embedder.model } },
      },
    },
    act_mem: uninitialized,
    para_mem: uninitialized,
    pref_mem: uninitialized,
  };
  const items = chunks.map((c) => {
    const id = uuidOf(c.id);
    return {
      id,
      vector: c.embedding ?? undefined,
      payload: {
        id,
        memory: c.text,
        metadata: {
          type: "fact",
          key: c.heading ?? undefined,
          source: "file",
          status: c.ended ? "archived" : "activated",
          visibility: "public",
          tags: c.tags,
          updated_at: cube.created,
          info: {
            memstore: { cube: cube.slug, version: cube.version, publisher: cube.publisher, chunk: c.id },
          },
        },
      },
    };
  });
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 4)}\n`);
  return [
    { path: "config.json", data: json(config) },
    { path: "textual_memory.json", data: json(items) },
  ];
}
