import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AuditExportVerifier, type Checkpoint, type ExportedRow } from "@memstore/api/audit";
import { importPublicKey, type PublicKeyDocument } from "@memstore/watermark/signing";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";
import { UsageError } from "../usage-error.ts";

type CheckpointsFile = { org_id?: string; platform_key?: PublicKeyDocument; items?: Checkpoint[] };

/** `memstore audit export|checkpoints|verify`: the audit chain taken out, and checked offline. */
export function auditCommand(): Command {
  const audit = new Command("audit").description(
    "the organisation's audit chain: export it, and check it offline",
  );
  audit
    .command("export")
    .description("write the audit chain (NDJSON, oldest first) to stdout; an admin key")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (options: { url: string; key: string }) => {
      const { stream } = await clientFrom(options).auditExport();
      await new Promise<void>((resolve, reject) =>
        Readable.fromWeb(stream as WebReadableStream<Uint8Array>)
          .on("error", reject)
          .on("end", resolve)
          .pipe(process.stdout, { end: false }),
      );
    });
  audit
    .command("checkpoints")
    .description("write the platform's signed checkpoints of the chain (JSON) to stdout; an admin key")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (options: { url: string; key: string }) => {
      console.log(JSON.stringify(await clientFrom(options).auditCheckpoints(), null, 2));
    });
  audit
    .command("verify")
    .description(
      "check an exported chain against signed checkpoints, offline: names the first row edited, deleted or reordered",
    )
    .argument("<export.jsonl>", "the export (`memstore audit export`, or GET /api/v1/audit/export)")
    .requiredOption("--checkpoints <file>", "the checkpoints (`memstore audit checkpoints`)")
    .option(
      "--platform-key <file>",
      "the platform's public key (GET /api/v1/keys/platform), held apart from the log",
    )
    .action(async (file: string, options: { checkpoints: string; platformKey?: string }) => {
      const code = await verifyFiles(file, options.checkpoints, options.platformKey);
      process.exitCode = code;
    });
  return audit;
}

async function verifyFiles(exportFile: string, checkpointsFile: string, keyFile: string | undefined) {
  const checkpoints = JSON.parse(await readFile(checkpointsFile, "utf8")) as CheckpointsFile;
  if (!checkpoints.org_id || !Array.isArray(checkpoints.items)) {
    throw new UsageError(`${checkpointsFile} is not a checkpoints file (org_id and items expected)`);
  }
  const keyDoc = keyFile
    ? (JSON.parse(await readFile(keyFile, "utf8")) as PublicKeyDocument)
    : checkpoints.platform_key;
  if (!keyDoc) throw new UsageError("no platform key: pass --platform-key");
  const verifier = new AuditExportVerifier(checkpoints.org_id, checkpoints.items, importPublicKey(keyDoc));
  const lines = createInterface({ input: createReadStream(exportFile), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (!line.trim()) continue;
    let row: ExportedRow;
    try {
      row = JSON.parse(line) as ExportedRow;
    } catch {
      throw new UsageError(`${exportFile}:${n} is not JSON`);
    }
    if (!verifier.add(row)) break;
  }
  const result = verifier.finish();
  const trusted = keyFile
    ? `key ${keyDoc.key_id}`
    : `key ${keyDoc.key_id} (from the checkpoints file; pass --platform-key to hold it apart)`;
  if (!result.ok) {
    console.log(
      `FAILED at row ${result.problem!.seq ?? "?"}: ${result.problem!.kind}: ${result.problem!.detail}`,
    );
    return 1;
  }
  console.log(
    `ok: ${result.rows} rows chained; ${result.checkpoints} checkpoints signed by ${trusted} hold, the newest at row ${result.anchored_seq ?? "none"}` +
      (result.unanchored_rows ? `; ${result.unanchored_rows} newer rows not yet anchored` : ""),
  );
  return 0;
}
