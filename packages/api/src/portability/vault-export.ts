import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { newId, type Subject } from "@memstore/core";
import type { VaultRow } from "@memstore/db";
import { tarSize, writeTar } from "@memstore/formats";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { memosCubeFiles } from "./memos-format.ts";
import { chunksAfter, type ExportableInstall, exportableInstalls, memoryVersionsAfter } from "./queries.ts";
import { markingFor, servedText } from "../watermarking/served-text.ts";
import { claimVersionShare } from "../usage/share-cap.ts";
import { loadOwnVault } from "../vaults/vaults.ts";

export const vaultExportQuery = z
  .object({ format: z.enum(["jsonl", "memcube", "memos"]).default("jsonl") })
  .strict();

/** One memory of the vault's own, one version of it, or one installed chunk as served. */
type ExportLine =
  | {
      kind: "memory";
      memory_id: string;
      version: number;
      current: boolean;
      state: string;
      text: string;
      tags: string[];
      metadata: Record<string, unknown>;
      created_at: string;
    }
  | {
      kind: "installed";
      install_id: string;
      cube: string;
      version: string;
      publisher: string;
      chunk_id: string;
      text: string;
      tags: string[];
      metadata: Record<string, unknown>;
    }
  | {
      /** An install whose share cap left some of its chunks out of this export: `served` of `chunks`. */
      kind: "excluded";
      install_id: string;
      code: "share_cap";
      served: number;
      chunks: number;
    };

const PAGE = 500;

/**
 * Everything the vault may take out, in order: its own memories, every version of each (by memory
 * and version), then the installed text of listings whose terms allow export (`export: true`, the
 * offer's or the listing's) while the organisation's entitlement is usable — each chunk served
 * exactly as search serves it, fingerprinted for this organisation. Read a page at a time.
 */
async function* exportLines(ctx: AppContext, vault: VaultRow): AsyncGenerator<ExportLine> {
  yield* memoryLines(ctx, vault);
  const marking = markingFor(ctx, vault.orgId);
  for (const install of await exportableInstalls(ctx.db, { vaultId: vault.id })) {
    if (install.share_cap === null) {
      yield* installedLines(ctx, install, marking);
      continue;
    }
    // Under a share cap the export takes what the day's window allows, like any other read.
    const at = { orgId: vault.orgId, listingId: install.listing_id };
    const claim = await claimVersionShare(ctx.db, {
      ...at,
      versionId: install.version_id,
      cap: install.share_cap,
    });
    yield* installedLines(ctx, install, marking, at);
    if (claim.served < claim.chunks)
      yield { kind: "excluded", install_id: install.install_id, code: "share_cap", ...claim };
  }
}

/** The vault's own memories, every version of each, by memory and version. */
async function* memoryLines(ctx: AppContext, vault: VaultRow): AsyncGenerator<ExportLine> {
  let after = { memory: "", version: 0 };
  for (;;) {
    const rows = await memoryVersionsAfter(ctx.db, { vaultId: vault.id, after, limit: PAGE });
    for (const r of rows)
      yield {
        kind: "memory",
        memory_id: r.memory_id,
        version: r.version,
        current: r.is_current,
        state: r.state,
        text: r.text,
        tags: r.tags,
        metadata: r.metadata,
        created_at: new Date(r.created_at).toISOString(),
      };
    if (rows.length < PAGE) break;
    after = { memory: rows.at(-1)!.memory_id, version: rows.at(-1)!.version };
  }
}

/** An install's text, chunk by chunk, served exactly as search serves it: fingerprinted for the organisation. */
async function* installedLines(
  ctx: AppContext,
  install: ExportableInstall,
  marking: ReturnType<typeof markingFor>,
  received?: { orgId: string; listingId: string },
): AsyncGenerator<ExportLine> {
  let position = -1;
  for (;;) {
    const page = { versionId: install.version_id, after: position, limit: PAGE, received };
    const rows = await chunksAfter(ctx.db, page);
    for (const r of rows)
      yield {
        kind: "installed",
        install_id: install.install_id,
        cube: install.cube,
        version: install.version,
        publisher: install.publisher,
        chunk_id: r.id,
        text: servedText(
          {
            ...r,
            canaries: install.canaries,
            marks: install.marks,
            install_id: install.install_id,
            version_id: install.version_id,
          },
          marking,
        ),
        tags: r.tags,
        metadata: { ...r.metadata, ...(r.heading && { heading: r.heading }) },
      };
    if (rows.length < PAGE) break;
    position = rows.at(-1)!.position;
  }
}

/** Writes lines to a file in the data directory, so a tar can state the file's size before its bytes. */
async function spool(ctx: AppContext, lines: AsyncIterable<string>) {
  const path = join(ctx.config.dataDir, `export-${newId("tmp")}`);
  const out = createWriteStream(path);
  try {
    for await (const line of lines)
      if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
    out.end();
    await finished(out);
    return { path, size: (await stat(path)).size };
  } catch (error) {
    out.destroy();
    await rm(path, { force: true });
    throw error;
  }
}

async function* jsonl(ctx: AppContext, vault: VaultRow) {
  for await (const line of exportLines(ctx, vault)) yield `${JSON.stringify(line)}\n`;
}

type Excluded = Extract<ExportLine, { kind: "excluded" }>;

/**
 * The current memories and the installed chunks as plaintext memory items (a cube's JSONL payload);
 * the installs a share cap cut short are collected into `excluded`, for the manifest.
 */
async function* memoryItems(ctx: AppContext, vault: VaultRow, excluded: Excluded[]) {
  for await (const line of exportLines(ctx, vault)) {
    if (line.kind === "excluded") excluded.push(line);
    if (line.kind === "excluded" || (line.kind === "memory" && (!line.current || line.state !== "active")))
      continue;
    const metadata =
      line.kind === "memory"
        ? { ...line.metadata, memory_id: line.memory_id, version: line.version }
        : { ...line.metadata, source: { cube: line.cube, version: line.version, publisher: line.publisher } };
    yield `${JSON.stringify({ text: line.text, tags: line.tags, metadata })}\n`;
  }
}

/**
 * `GET /api/v1/vaults/{vault_id}/export`: the vault's memory, out of MemStore. `jsonl` streams every
 * line as it is read; `memcube` is a tar of `memcube.json` (what was exported) and `payload.jsonl`
 * (memory items a plaintext cube takes); `memos` a MemOS cube directory (general textual backend).
 */
export async function exportVault(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  query: z.infer<typeof vaultExportQuery>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.read", vaultId);
  const base = `vault-${vault.id}`;
  if (query.format === "jsonl")
    return {
      filename: `${base}.jsonl`,
      contentType: "application/x-ndjson",
      stream: jsonl(ctx, vault),
      size: null,
    };
  if (query.format === "memcube") {
    const excluded: Excluded[] = [];
    const payload = await spool(ctx, memoryItems(ctx, vault, excluded));
    const manifest = Buffer.from(
      `${JSON.stringify({ schema: "memstore-vault-export/1", vault: { id: vault.id, name: vault.name }, exported_at: new Date().toISOString(), payload: { file: "payload.jsonl", format: "jsonl", size: payload.size }, excluded: excluded.map(({ kind: _, ...e }) => e) }, null, 2)}\n`,
    );
    return tarOf(
      `${base}.memcube.tar`,
      [
        { path: "memcube.json", size: manifest.length, data: manifest },
        { path: "payload.jsonl", size: payload.size, data: createReadStream(payload.path) },
      ],
      payload.path,
    );
  }
  const lines: Exclude<ExportLine, Excluded>[] = [];
  // A MemOS cube has no place to say what a share cap left out: it holds what was served.
  for await (const line of exportLines(ctx, vault)) if (line.kind !== "excluded") lines.push(line);
  const files = memosCubeFiles(
    { slug: base, publisher: vault.orgId, version: "export", created: new Date().toISOString() },
    { model: ctx.embedder.model, dimension: ctx.embedder.dimension },
    lines
      .filter((l) => l.kind === "installed" || l.current)
      .map((l) => ({
        id: l.kind === "memory" ? `${l.memory_id}` : l.chunk_id,
        text: l.text,
        heading: null,
        tags: l.tags,
        metadata: l.metadata,
        embedding: null,
        ended: l.kind === "memory" && l.state !== "active",
      })),
  );
  return tarOf(
    `${base}.memos.tar`,
    files.map((f) => ({ path: `${base}/${f.path}`, size: f.data.length, data: f.data })),
    null,
  );
}

function tarOf(
  filename: string,
  files: Array<{ path: string; size: number; data: Uint8Array | AsyncIterable<Uint8Array> }>,
  spooled: string | null,
) {
  const size = tarSize(files.map((f) => f.size));
  async function* stream() {
    try {
      yield* writeTar(files);
    } finally {
      if (spooled) await rm(spooled, { force: true });
    }
  }
  return { filename, contentType: "application/x-tar", stream: stream(), size };
}
