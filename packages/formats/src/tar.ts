import { AppError } from "@memstore/core";
import { ByteReader, type ByteSource } from "./byte-reader.ts";

/**
 * POSIX (ustar/pax) tar, read as a stream and trusted for nothing: a tar from outside names its own
 * paths, sizes and entry kinds, so every entry is checked before its bytes are handed on. Refused
 * (`tar_unsafe`): absolute paths, `..`, links, devices and FIFOs, a path given twice, more entries or
 * bytes than the caps. A tar that is not well formed (bad checksum, cut short) is `tar_invalid`.
 */
export type TarLimits = {
  /** Entries of any kind (directories too). */
  maxEntries: number;
  /** Sum of the files' sizes. */
  maxBytes: number;
};

export type TarEntry = {
  /** Normalised: no leading `./`, `/`-separated, no trailing `/`. */
  path: string;
  size: number;
  /** Must be read (or left, and then skipped) before the next entry is asked for. */
  chunks: AsyncIterable<Uint8Array>;
};

const BLOCK = 512;

const LINK_KINDS: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  K: "a link (GNU long link name)",
};

const unsafe = (message: string, path?: string) =>
  new AppError("tar_unsafe", message, path === undefined ? undefined : { path });
const invalid = (message: string) => new AppError("tar_invalid", message);

/** The string in a NUL-terminated header field. */
const field = (block: Buffer, start: number, length: number) => {
  const bytes = block.subarray(start, start + length);
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? length : nul).toString("utf8");
};

function numberField(block: Buffer, start: number, length: number, what: string): number {
  const bytes = block.subarray(start, start + length);
  // GNU base-256 for values over 8 GB: the high bit of the first byte is set.
  if (bytes[0]! & 0x80) {
    let value = BigInt(bytes[0]! & 0x7f);
    for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(bytes[i]!);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`the ${what} field is out of range`);
    return Number(value);
  }
  const text = field(block, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`the ${what} field '${text}' is not an octal number`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = numberField(block, 148, 8, "checksum");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored;
}

/** `a/./b/` → `a/b`; refuses what could land outside the directory it is unpacked into. */
export function safeTarPath(raw: string): string {
  if (raw.includes("\0")) throw unsafe(`the path ${JSON.stringify(raw)} holds a NUL byte`, raw);
  if (raw.startsWith("/") || raw.startsWith("\\") || /^[A-Za-z]:/.test(raw)) {
    throw unsafe(`'${raw}' is an absolute path; paths in a pack are relative to its root`, raw);
  }
  const parts = raw.split(/[/\\]/).filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw unsafe(`'${raw}' climbs out of the pack with '..'`, raw);
  if (parts.length === 0) throw unsafe(`'${raw}' names no file`, raw);
  return parts.join("/");
}

/** The records of a pax extended header: `<length> <key>=<value>\n`. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.subarray(at, space).toString("ascii"));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) {
      throw invalid("a pax extended header is malformed");
    }
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

/** Small metadata entries (pax headers, GNU long names) are read whole, up to this size. */
const MAX_META_BYTES = 64 * 1024;

/**
 * The files of a tar stream, one after another. Directories are checked and counted but not
 * yielded. Stops at the end-of-archive blocks; a stream that ends without them is `tar_invalid`.
 */
export async function* readTar(source: ByteSource, limits: TarLimits): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  const seen = new Set<string>();
  let entries = 0;
  let bytes = 0;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  try {
    for (;;) {
      const block = await reader.readExact(BLOCK);
      if (!block) throw invalid("the tar ends without its end-of-archive blocks: it is cut short");
      if (block.every((b) => b === 0)) return;
      if (!checksumOk(block)) {
        throw invalid(
          `the tar header at byte ${reader.position - BLOCK} has a bad checksum (is this a tar?)`,
        );
      }
      const type = String.fromCharCode(block[156]!) === "\0" ? "0" : String.fromCharCode(block[156]!);
      const headerSize = numberField(block, 124, 12, "size");
      const size = pax.size !== undefined ? Number(pax.size) : headerSize;
      if (!Number.isSafeInteger(size) || size < 0)
        throw invalid(`an entry's size '${pax.size}' is not valid`);
      const padded = Math.ceil(size / BLOCK) * BLOCK;

      if (type === "x" || type === "g" || type === "L") {
        if (size > MAX_META_BYTES) throw unsafe(`a ${size}-byte tar metadata entry is over the cap`);
        const data = await reader.readExact(padded);
        if (!data) throw invalid("the tar ends inside a metadata entry");
        if (type === "x") pax = { ...pax, ...paxRecords(data.subarray(0, size)) };
        if (type === "L") longName = field(data, 0, size);
        continue;
      }

      const prefix = field(block, 345, 155);
      const name = field(block, 0, 100);
      const rawPath = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name);
      pax = {};
      longName = null;
      if (LINK_KINDS[type]) {
        throw unsafe(`'${rawPath}' is ${LINK_KINDS[type]}; a pack holds plain files only`, rawPath);
      }
      if (type !== "0" && type !== "7" && type !== "5") {
        throw unsafe(`'${rawPath}' has tar entry type '${type}'; a pack holds plain files only`, rawPath);
      }
      if (++entries > limits.maxEntries) {
        throw unsafe(`the tar has more than ${limits.maxEntries} entries`);
      }
      // The archive's own root (`./`) is a directory with no name left once normalised.
      const path = type === "5" && rawPath.replace(/[/.]/g, "") === "" ? "" : safeTarPath(rawPath);
      if (type === "5") {
        if (size > 0 && !(await reader.readExact(padded))) throw invalid("the tar ends inside a directory");
        continue;
      }
      if (seen.has(path)) throw unsafe(`'${path}' appears twice in the tar`, path);
      seen.add(path);
      bytes += size;
      if (bytes > limits.maxBytes) {
        throw unsafe(
          `the files in the tar add up to more than ${limits.maxBytes} bytes (at '${path}')`,
          path,
        );
      }

      const end = reader.position + size;
      const cut = () => invalid(`the tar ends inside '${path}'`);
      const chunks = (async function* () {
        yield* reader.stream(end - reader.position);
        if (reader.position < end) throw cut();
      })();
      yield { path, size, chunks };
      if (reader.position < end) {
        for await (const skipped of reader.stream(end - reader.position)) void skipped;
        if (reader.position < end) throw cut();
      }
      if (padded > size && !(await reader.readExact(padded - size))) throw cut();
    }
  } finally {
    await reader.close();
  }
}

export type TarFile = { path: string; size: number; data: Uint8Array | AsyncIterable<Uint8Array> };

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

/** A ustar header block for a plain file (mode 0644, owner 0, mtime 0: the same files, the same bytes). */
function headerBlock(path: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const bytes = Buffer.from(path, "utf8");
  let name = bytes;
  if (bytes.length > 100) {
    const cut = path.lastIndexOf("/", 155);
    const prefix = cut > 0 ? Buffer.from(path.slice(0, cut)) : null;
    name = Buffer.from(cut > 0 ? path.slice(cut + 1) : path);
    if (!prefix || prefix.length > 155 || name.length > 100) {
      throw new AppError("invalid_input", `'${path}' is too long for a ustar header`);
    }
    prefix.copy(block, 345);
  }
  name.copy(block, 0);
  block.write(octal(0o644, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  if (size >= 8 ** 11) {
    block[124] = 0x80;
    block.writeBigUInt64BE(BigInt(size), 128);
  } else block.write(octal(size, 12), 124, "ascii");
  block.write(octal(0, 12), 136, "ascii");
  block[156] = "0".charCodeAt(0);
  block.write("ustar\0" + "00", 257, "ascii");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return block;
}

/** The byte length of `writeTar`'s output for files of these sizes (a header block each, data padded to blocks, two end blocks). */
export function tarSize(sizes: readonly number[]): number {
  return sizes.reduce((total, size) => total + BLOCK + Math.ceil(size / BLOCK) * BLOCK, 0) + 2 * BLOCK;
}

/** A tar of plain files, streamed: each file's data is read once, in order, and must be `size` bytes. */
export async function* writeTar(files: readonly TarFile[]): AsyncGenerator<Uint8Array> {
  for (const file of files) {
    yield headerBlock(file.path, file.size);
    let written = 0;
    for await (const piece of file.data instanceof Uint8Array ? [file.data] : file.data) {
      written += piece.length;
      yield piece;
    }
    if (written !== file.size) {
      throw new AppError(
        "invalid_input",
        `'${file.path}' was declared as ${file.size} bytes but gave ${written}`,
      );
    }
    if (written % BLOCK) yield Buffer.alloc(BLOCK - (written % BLOCK));
  }
  yield Buffer.alloc(BLOCK * 2);
}
