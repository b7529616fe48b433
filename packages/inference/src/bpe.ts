/**
 * A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (the GPT-2 / Llama 3 / Qwen
 * family: `pre_tokenizer` ByteLevel, `model.type` BPE, merges as "a b" strings or [a, b] pairs).
 * Enough to turn a plaintext cube's text into the token ids a decoder export expects; special
 * tokens come from `added_tokens`.
 */
type TokenizerJson = {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string }[] } | null;
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
};

/** GPT-2's split of text into words (letters, digits, punctuation runs, whitespace). */
const WORDS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable characters, used as BPE's alphabet. */
export function byteAlphabet(): string[] {
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return chars;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export class BpeTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly alphabet = byteAlphabet();
  private readonly encoder = new TextEncoder();
  private readonly cache = new Map<string, number[]>();
  readonly special: Map<string, number>;

  constructor(json: unknown) {
    const t = json as TokenizerJson;
    if (t?.model?.type !== "BPE" || !t.model.vocab || !t.model.merges) {
      throw new Error("tokenizer.json is not a BPE tokenizer (model.type BPE with vocab and merges)");
    }
    const pre = t.pre_tokenizer;
    const byteLevel =
      pre?.type === "ByteLevel" || pre?.pretokenizers?.some((p) => p.type === "ByteLevel") === true;
    if (!byteLevel) throw new Error("tokenizer.json's pre_tokenizer is not ByteLevel");
    this.vocab = new Map(Object.entries(t.model.vocab));
    t.model.merges.forEach((m, rank) => {
      const [a, b] = typeof m === "string" ? (m.split(" ") as [string, string]) : m;
      this.ranks.set(`${a} ${b}`, rank);
    });
    this.special = new Map((t.added_tokens ?? []).map((a) => [a.content, a.id]));
  }

  get vocabSize(): number {
    return Math.max(...this.vocab.values(), ...this.special.values()) + 1;
  }

  /**
   * The text token ids stand for: each id's symbols mapped back to bytes, read as UTF-8. Special
   * tokens (`<|begin_of_text|>`…) and ids outside the vocabulary are left out.
   */
  decode(ids: readonly number[]): string {
    this.symbols ??= new Map([...this.vocab].map(([symbol, id]) => [id, symbol]));
    this.bytesOf ??= new Map(this.alphabet.map((c, b) => [c, b]));
    const specialIds = new Set(this.special.values());
    const bytes: number[] = [];
    for (const id of ids) {
      if (specialIds.has(id)) continue;
      for (const c of this.symbols.get(id) ?? "") {
        const b = this.bytesOf.get(c);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  private symbols: Map<number, string> | undefined;
  private bytesOf: Map<string, number> | undefined;

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [word] of text.matchAll(WORDS)) {
      let pieces = this.cache.get(word);
      if (!pieces) {
        pieces = this.bpe([...this.encoder.encode(word)].map((b) => this.alphabet[b]!));
        this.cache.set(word, pieces);
      }
      ids.push(...pieces);
    }
    return ids;
  }

  /** Merges the lowest-ranked adjacent pair until none is in the merge list. */
  private bpe(symbols: string[]): number[] {
    const parts = [...symbols];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      parts.splice(best, 2, parts[best]! + parts[best + 1]!);
    }
    return parts.map((p) => {
      const id = this.vocab.get(p);
      if (id === undefined) throw new Error(`tokenizer.json has no vocabulary entry for '${p}'`);
      return id;
    });
  }
}

/**
 * Learns `merges` byte-level BPE merges from a corpus (most frequent adjacent pair first, ties broken
 * by the pair's text) and returns a complete `tokenizer.json`: the 256 byte symbols, then the merged
 * symbols, then the special tokens. Used to make the tiny test model's tokenizer.
 */
export function trainByteLevelBpe(corpus: string, merges: number, specials: readonly string[]) {
  const alphabet = byteAlphabet();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const [word] of corpus.matchAll(WORDS)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts].map(([w, n]) => ({ parts: [...encoder.encode(w)].map((b) => alphabet[b]!), n }));
  const vocab: Record<string, number> = Object.fromEntries(alphabet.map((c, i) => [c, i]));
  const mergeList: [string, string][] = [];
  while (mergeList.length < merges) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of words) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    const [top] = [...pairs].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    if (!top) break;
    const [a, b] = top[0].split(" ") as [string, string];
    mergeList.push([a, b]);
    vocab[a + b] = Object.keys(vocab).length;
    for (const w of words) {
      for (let i = 0; i + 1 < w.parts.length; i++) {
        if (w.parts[i] === a && w.parts[i + 1] === b) w.parts.splice(i, 2, a + b);
      }
    }
  }
  const base = Object.keys(vocab).length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, i) => ({
      id: base + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: mergeList,
    },
  };
}
