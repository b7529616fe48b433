import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { writeTar } from "@memstore/formats";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";
import { UsageError } from "../usage-error.ts";

/** `memstore import memos <dir>`: a MemOS cube directory into MemStore, as a draft version. */
export function importCommand(): Command {
  const command = new Command("import").description("bring memory from other systems into MemStore");
  command
    .command("memos")
    .description("import a MemOS cube directory (config.json, textual_memory.json) as a plaintext cube draft")
    .argument("<dir>", "the MemOS cube directory")
    .option("--slug <slug>", "the cube to import into (default: from the cube's cube_id)")
    .option("--title <title>", "the new cube's title")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (dir: string, options: { slug?: string; title?: string; url: string; key: string }) => {
      if (!(await stat(dir).catch(() => null))?.isDirectory())
        throw new UsageError(`${dir} is not a directory`);
      const files = [];
      for (const name of (await readdir(dir)).sort()) {
        const info = await stat(join(dir, name));
        if (info.isFile())
          files.push({
            path: `${basename(dir)}/${name}`,
            size: info.size,
            data: createReadStream(join(dir, name)),
          });
      }
      const imported = await clientFrom(options).bundles.importMemos(Readable.from(writeTar(files)), {
        slug: options.slug,
        title: options.title,
      });
      console.log(
        `imported ${imported.items} memories (${imported.backend}) as draft ${imported.version.version} of cube ${imported.cube_id}`,
      );
      for (const s of imported.skipped) console.log(`skipped  ${s.id}: ${s.reason}`);
      for (const note of imported.notes) console.log(`note     ${note}`);
    });
  return command;
}
