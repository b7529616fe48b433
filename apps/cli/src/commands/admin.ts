import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { createOrganization } from "@memstore/api/identity";
import { attachOnnx, insertBaseModel, loadBaseModel, registerBaseModelInput } from "@memstore/api/models";
import { Command } from "commander";
import { openCommandRuntime } from "../runtime.ts";

/** Where Optimum and the Hub put a decoder export in a model directory. */
const ONNX_FILES = [
  "model.onnx",
  "onnx/model.onnx",
  "decoder_model_merged.onnx",
  "onnx/decoder_model_merged.onnx",
];

export function adminCommand(): Command {
  const admin = new Command("admin").description(
    "administration on the database (DATABASE_URL, else the embedded one)",
  );
  admin
    .command("create-org")
    .argument("<name>", "the organisation's name")
    .requiredOption("--owner <email>", "the owner's email (the user is created when new)")
    .option("--password <password>", "the owner's password (for a new user; checked for an existing one)")
    .description("create an organisation and print { org_id, user_id, api_key } (the key has every scope)")
    .action(async (name: string, options: { owner: string; password?: string }) => {
      const ctx = await openCommandRuntime({ migrate: true, quiet: true });
      try {
        const created = await createOrganization(ctx, {
          name,
          ownerEmail: options.owner,
          ownerPassword: options.password,
        });
        console.log(JSON.stringify(created));
      } finally {
        await ctx.close();
      }
    });
  admin
    .command("register-model")
    .argument(
      "<dir>",
      "a model directory with config.json and tokenizer.json (as on the Hugging Face Hub), and optionally its ONNX decoder export (model.onnx, onnx/model.onnx or decoder_model_merged.onnx)",
    )
    .option(
      "--name <name>",
      "the name packs and snapshots use (default: config.json's _name_or_path, else the directory's name)",
    )
    .description("register a base model that LoRA packs and KV snapshots are validated against")
    .action(async (dir: string, options: { name?: string }) => {
      const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
      const tokenizer = await readFile(join(dir, "tokenizer.json"));
      const name =
        options.name ??
        (typeof config._name_or_path === "string" && config._name_or_path
          ? config._name_or_path
          : basename(resolve(dir)));
      const input = registerBaseModelInput.parse({
        name,
        config,
        tokenizer_sha256: createHash("sha256").update(tokenizer).digest("hex"),
      });
      const ctx = await openCommandRuntime({ migrate: true, quiet: true });
      try {
        const stored = await ctx.blobs.put(Readable.from([tokenizer]), { maxBytes: tokenizer.length });
        let view = await insertBaseModel(ctx, input, { orgId: null, actor: "cli" }, stored.digest);
        const onnx = ONNX_FILES.map((f) => join(dir, f)).find((p) => existsSync(p));
        if (onnx) view = await attachOnnx(ctx, await loadBaseModel(ctx.db, view.id), createReadStream(onnx));
        console.log(JSON.stringify(view));
      } finally {
        await ctx.close();
      }
    });
  return admin;
}
