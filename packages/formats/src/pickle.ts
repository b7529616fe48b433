import { AppError, isPickleFileName } from "@memstore/core";

/**
 * Pickle runs code when it is loaded: a `.bin` or `.pt` checkpoint can do anything to the machine
 * that opens it. MemStore never opens one, and refuses it at the door, by its name or its first bytes.
 */
/** Why a file is a pickle, or null: its name, pickle protocol 2–5 opcodes, or a PyTorch zip. */
export function pickleReason(name: string | null, head: Uint8Array): string | null {
  if (name && isPickleFileName(name)) return `'${name}' is a pickle checkpoint by its name`;
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) {
    return `${name ? `'${name}'` : "the file"} starts with pickle protocol ${head[1]} opcodes`;
  }
  const text = Buffer.from(head.subarray(0, 4096)).toString("latin1");
  if (text.startsWith("PK\u0003\u0004") && /\/?data\.pkl/.test(text)) {
    return `${name ? `'${name}'` : "the file"} is a PyTorch zip archive holding a pickle (data.pkl)`;
  }
  return null;
}

/** Throws 415 `pickle_refused` for a pickle, saying how to convert it. */
export function refusePickle(name: string | null, head: Uint8Array): void {
  const reason = pickleReason(name, head);
  if (reason) {
    throw new AppError(
      "pickle_refused",
      `${reason}. Pickle files run code when loaded and are never accepted; convert the weights to safetensors (safetensors.torch.save_file, or save_pretrained(..., safe_serialization=True)) and upload that`,
      name ? { file: name } : undefined,
    );
  }
}

/** How many leading bytes the sniffing looks at. */
export const PICKLE_SNIFF_BYTES = 4096;

/**
 * Passes a stream through once its first bytes are known not to be a pickle (415 `pickle_refused`
 * otherwise, before anything of it is stored).
 */
export async function* refusingPickle(
  source: AsyncIterable<Uint8Array>,
  name: string | null = null,
): AsyncGenerator<Uint8Array> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let checked = false;
  for await (const chunk of source) {
    if (checked) {
      yield chunk;
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= PICKLE_SNIFF_BYTES) {
      const bytes = Buffer.concat(head);
      refusePickle(name, bytes);
      checked = true;
      yield bytes;
    }
  }
  if (!checked) {
    const bytes = Buffer.concat(head);
    refusePickle(name, bytes);
    if (bytes.length) yield bytes;
  }
}
