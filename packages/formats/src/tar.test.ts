import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTar, type TarLimits, tarSize, writeTar } from "./tar.ts";

const LIMITS: TarLimits = { maxEntries: 16, maxBytes: 1 << 20 };

/** Every file of a tar (read in chunks of `chunk` bytes), or the error's code and message. */
async function files(tar: Buffer, limits = LIMITS, chunk = 700) {
  const pieces = Array.from({ length: Math.ceil(tar.length / chunk) }, (_, i) =>
    tar.subarray(i * chunk, (i + 1) * chunk),
  );
  try {
    const out: Record<string, string> = {};
    for await (const entry of readTar(pieces, limits)) {
      const parts: Uint8Array[] = [];
      for await (const c of entry.chunks) parts.push(c);
      out[entry.path] = Buffer.concat(parts).toString();
    }
    return out;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return `${e.code}: ${e.message}`;
  }
}

/** A tar made by GNU tar from a directory prepared by `setup`. */
function gnuTar(setup: (dir: string) => void, args: string[] = ["."]) {
  const dir = mkdtempSync(join(tmpdir(), "tar-"));
  const root = join(dir, "pack");
  mkdirSync(root);
  setup(root);
  return execFileSync("tar", ["-c", "-C", root, ...args], { maxBuffer: 1 << 26 });
}

async function bytesOf(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("safe tar reading", () => {
  it("reads GNU tar's output (nested directories, pax long names) and its own, from any chunking", async () => {
    const longName = `${"a-deep-directory/".repeat(8)}notes.md`;
    const tar = gnuTar(
      (root) => {
        writeFileSync(join(root, "adapter_config.json"), '{"r":8}');
        mkdirSync(join(root, "a-deep-directory/".repeat(8)), { recursive: true });
        writeFileSync(join(root, longName), "x".repeat(1500));
      },
      ["--format=pax", "."],
    );
    expect(await files(tar)).toEqual({ "adapter_config.json": '{"r":8}', [longName]: "x".repeat(1500) });
    expect(await files(tar, LIMITS, 1)).toEqual(await files(tar, LIMITS, 100_000));

    const own = await bytesOf(
      writeTar([
        { path: "a.txt", size: 3, data: Buffer.from("abc") },
        { path: "b/c.txt", size: 512, data: Buffer.alloc(512, 0x41) },
      ]),
    );
    expect(await files(own)).toEqual({ "a.txt": "abc", "b/c.txt": "A".repeat(512) });
    // GNU tar agrees about what was written.
    expect(execFileSync("tar", ["-t"], { input: own }).toString().trim().split("\n")).toEqual([
      "a.txt",
      "b/c.txt",
    ]);
  });

  it("skips what a consumer leaves unread and goes on to the next file", async () => {
    const tar = await bytesOf(
      writeTar([
        { path: "big.bin", size: 5000, data: Buffer.alloc(5000, 1) },
        { path: "small.txt", size: 2, data: Buffer.from("ok") },
      ]),
    );
    const seen: string[] = [];
    for await (const entry of readTar([tar], LIMITS)) {
      seen.push(entry.path);
      if (entry.path === "small.txt") expect((await bytesOf(entry.chunks)).toString()).toBe("ok");
    }
    expect(seen).toEqual(["big.bin", "small.txt"]);
  });

  it("refuses path traversal, absolute paths, links and duplicate paths", async () => {
    const traversal = gnuTar(
      (root) => writeFileSync(join(root, "x"), "evil"),
      ["--transform=s,^\\./x,../../etc/cron.d/x,", "./x"],
    );
    expect(await files(traversal)).toMatch(/^tar_unsafe: '\.\.\/\.\.\/etc\/cron\.d\/x' climbs out/);

    const absolute = gnuTar(
      (root) => writeFileSync(join(root, "x"), "evil"),
      ["-P", "--transform=s,^\\./x,/etc/passwd,", "./x"],
    );
    expect(await files(absolute)).toMatch(/^tar_unsafe: '\/etc\/passwd' is an absolute path/);

    const symlink = gnuTar((root) => symlinkSync("/etc/shadow", join(root, "adapter_model.safetensors")));
    expect(await files(symlink)).toMatch(/^tar_unsafe: '.\/adapter_model.safetensors' is a symbolic link/);

    const hardlink = gnuTar((root) => {
      writeFileSync(join(root, "a"), "same");
      execFileSync("ln", [join(root, "a"), join(root, "b")]);
    });
    expect(await files(hardlink)).toMatch(/^tar_unsafe: '.*' is a hard link/);

    const twice = await bytesOf(
      writeTar([
        { path: "adapter_config.json", size: 2, data: Buffer.from("{}") },
        { path: "./adapter_config.json", size: 2, data: Buffer.from("[]") },
      ]),
    );
    expect(await files(twice)).toBe("tar_unsafe: 'adapter_config.json' appears twice in the tar");
  });

  it("enforces the entry and byte caps before reading the bytes", async () => {
    const many = await bytesOf(
      writeTar(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, size: 1, data: Buffer.from("x") }))),
    );
    expect(await files(many, { maxEntries: 4, maxBytes: 100 })).toBe(
      "tar_unsafe: the tar has more than 4 entries",
    );
    // A header claiming 1 TB is refused from its header, long before any byte arrives.
    const header = (await bytesOf(writeTar([{ path: "huge", size: 0, data: Buffer.alloc(0) }]))).subarray(
      0,
      512,
    );
    header.write((2 ** 40).toString(8).padStart(11, "0") + "\0", 124, "ascii");
    header.fill(0x20, 148, 156);
    const sum = header.reduce((a, b) => a + b, 0);
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
    expect(await files(header)).toBe(
      `tar_unsafe: the files in the tar add up to more than ${LIMITS.maxBytes} bytes (at 'huge')`,
    );
  });

  it("says a cut-short or corrupt tar is not a valid tar", async () => {
    const tar = await bytesOf(writeTar([{ path: "a", size: 2000, data: Buffer.alloc(2000, 7) }]));
    expect(await files(tar.subarray(0, 1200))).toBe("tar_invalid: the tar ends inside 'a'");
    expect(await files(tar.subarray(0, 2560))).toBe(
      "tar_invalid: the tar ends without its end-of-archive blocks: it is cut short",
    );
    const corrupt = Buffer.from(tar);
    corrupt[10] = 0x41;
    expect(await files(corrupt)).toMatch(/^tar_invalid: the tar header at byte 0 has a bad checksum/);
    expect(await files(Buffer.from(readFileSync(new URL(import.meta.url))).subarray(0, 1024))).toMatch(
      /^tar_invalid: .* bad checksum|is not an octal number/,
    );
  });
});

describe("tar size", () => {
  it("is known before writing, so an upload can declare its Content-Length", async () => {
    for (const sizes of [[], [0], [1], [512], [513, 0, 2048], [100_000, 7]]) {
      let written = 0;
      const files = sizes.map((size, i) => ({ path: `f${i}`, size, data: Buffer.alloc(size, i) }));
      for await (const piece of writeTar(files)) written += piece.length;
      expect(tarSize(sizes)).toBe(written);
    }
  });
});
