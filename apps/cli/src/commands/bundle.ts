import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { readBundle } from "@memstore/api/bundle-format";
import { digestOf, importPublicKey, type PublicKeyDocument } from "@memstore/watermark/signing";
import { Command, Option } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";
import { UsageError } from "../usage-error.ts";

type ClientOptions = { url: string; key: string };

/** `memstore bundle export|import|verify`: signed bundles of versions, moved and checked from a script. */
export function bundleCommand(): Command {
  const bundle = new Command("bundle").description("signed bundles of cube versions: export, import, verify");
  bundle
    .command("export")
    .description("write a ready version of your cube as a signed bundle (a tar)")
    .argument("<cube_id>")
    .argument("<version>")
    .requiredOption("-o, --out <file>", "where to write the bundle")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (cubeId: string, version: string, options: ClientOptions & { out: string }) => {
      const { stream, size } = await clientFrom(options).bundles.export(cubeId, version);
      await pipeline(
        Readable.fromWeb(stream as WebReadableStream<Uint8Array>),
        createWriteStream(options.out),
      );
      console.log(`wrote ${options.out} (${size} bytes)`);
    });
  bundle
    .command("import")
    .description("import a bundle as a draft version of your cube of its slug (verified first)")
    .argument("<file>")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (file: string, options: ClientOptions) => {
      const imported = await clientFrom(options).bundles.import(Readable.from(createReadStream(file)));
      for (const line of imported.checked) console.log(`checked  ${line}`);
      console.log(
        `imported as draft ${imported.version.id} (${imported.version.version}); submit it to process it here`,
      );
    });
  bundle
    .command("verify")
    .description(
      "check a bundle offline against the platform's public key: signature, manifest, payload, license",
    )
    .argument("<file>")
    .addOption(
      new Option(
        "--public-key <file>",
        "the platform's key: the JSON of GET /api/v1/keys/platform, or its base64url",
      ),
    )
    .addOption(urlOption())
    .action(async (file: string, options: { publicKey?: string; url: string }) => {
      const document = options.publicKey
        ? readKeyFile(options.publicKey)
        : await clientFrom({ url: options.url, key: "" }).platformKey();
      const report = await readBundle(createReadStream(file), importPublicKey(document), (_name, data) =>
        digestOf(data),
      );
      for (const line of report.checked) console.log(`checked  ${line}`);
      for (const line of report.failed) console.log(`FAILED   ${line}`);
      if (report.failed.length > 0) process.exitCode = 1;
      else console.log("the bundle is intact and signed by the platform");
    });
  return bundle;
}

function readKeyFile(path: string): PublicKeyDocument | string {
  const text = readFileSync(path, "utf8").trim();
  if (text.startsWith("{")) return JSON.parse(text) as PublicKeyDocument;
  if (!/^[\w-]{43}$/.test(text))
    throw new UsageError(`${path} holds neither a key document nor a base64url key`);
  return text;
}
