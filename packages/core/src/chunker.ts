/**
 * Splits a Markdown or text document into chunks along its structure: sections start at headings,
 * chunks grow paragraph by paragraph up to `maxChars`, and a chunk that continues a section begins
 * with the last `overlap` characters of the one before, so a sentence cut at a border is found from
 * either side. Fenced code blocks are never split inside unless they alone exceed the cap.
 */
export type ChunkOptions = { maxChars: number; overlap: number };
export type DocumentChunk = { text: string; heading: string | null; position: number };

export const DEFAULT_CHUNKING: ChunkOptions = { maxChars: 1200, overlap: 150 };

type Section = { heading: string | null; blocks: string[] };

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

export function chunkDocument(source: string, options: ChunkOptions = DEFAULT_CHUNKING): DocumentChunk[] {
  if (options.overlap >= options.maxChars) throw new RangeError("overlap must be smaller than maxChars");
  const chunks: DocumentChunk[] = [];
  for (const section of splitSections(source.replace(/\r\n?/g, "\n"))) {
    for (const text of packSection(section.blocks, options)) {
      chunks.push({ text, heading: section.heading, position: chunks.length });
    }
  }
  return chunks;
}

function splitSections(source: string): Section[] {
  const sections: Section[] = [];
  const trail: string[] = [];
  let current: Section = { heading: null, blocks: [] };
  let paragraph: string[] = [];
  let fence: string | null = null;

  const flush = () => {
    const text = paragraph.join("\n").trim();
    if (text) current.blocks.push(text);
    paragraph = [];
  };

  for (const line of source.split("\n")) {
    const fenceMark = line.match(/^\s*(```|~~~)/)?.[1];
    if (fence !== null) {
      paragraph.push(line);
      if (fenceMark === fence) {
        fence = null;
        flush();
      }
      continue;
    }
    if (fenceMark) {
      flush();
      fence = fenceMark;
      paragraph.push(line);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      flush();
      // A heading with nothing under it lives on in its children's heading path, not as a chunk.
      if (current.blocks.length > (current.heading === null ? 0 : 1)) sections.push(current);
      const level = heading[1]!.length;
      trail.length = level - 1;
      trail[level - 1] = heading[2]!;
      current = { heading: trail.filter(Boolean).join(" › "), blocks: [line.trim()] };
      continue;
    }
    if (line.trim() === "") flush();
    else paragraph.push(line);
  }
  flush();
  if (current.blocks.length > 0) sections.push(current);
  return sections;
}

function packSection(blocks: string[], { maxChars, overlap }: ChunkOptions): string[] {
  const pieces = blocks.flatMap((block) => splitOversized(block, maxChars - overlap));
  const out: string[] = [];
  let current = "";
  for (const piece of pieces) {
    if (current && current.length + 2 + piece.length > maxChars) {
      out.push(current);
      const tail = tailAtWord(current, overlap);
      current = tail && tail.length + 2 + piece.length <= maxChars ? `${tail}\n\n${piece}` : piece;
    } else {
      current = current ? `${current}\n\n${piece}` : piece;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Splits a block longer than `limit` at sentence ends, then at spaces, then hard. */
function splitOversized(block: string, limit: number): string[] {
  if (block.length <= limit) return [block];
  const sentences = block.match(/[^.!?\n]+(?:[.!?]+|\n|$)\s*/g) ?? [block];
  const out: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    for (const part of hardSplit(sentence, limit)) {
      if (current.length + part.length > limit && current) {
        out.push(current.trim());
        current = "";
      }
      current += part;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function hardSplit(text: string, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf(" ", limit);
    if (cut < limit / 2) cut = limit;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

function tailAtWord(text: string, size: number): string {
  if (size <= 0) return "";
  if (text.length <= size) return text;
  const start = text.length - size;
  const space = text.indexOf(" ", start);
  return (space === -1 ? text.slice(start) : text.slice(space + 1)).trim();
}
