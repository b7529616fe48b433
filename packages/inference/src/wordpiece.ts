import { z } from "zod";

/**
 * The tokenizer of BERT-family sentence encoders (all-MiniLM-L6-v2, bge-small), read from the
 * Hugging Face `tokenizer.json`: BertNormalizer → BertPreTokenizer → WordPiece → [CLS] … [SEP].
 */
const tokenizerJsonSchema = z.object({
  truncation: z.object({ max_length: z.number().int().positive() }).nullable().optional(),
  normalizer: z
    .object({
      type: z.literal("BertNormalizer"),
      clean_text: z.boolean().default(true),
      handle_chinese_chars: z.boolean().default(true),
      strip_accents: z.boolean().nullable().default(null),
      lowercase: z.boolean().default(true),
    })
    .nullable()
    .optional(),
  model: z.object({
    type: z.literal("WordPiece"),
    unk_token: z.string().default("[UNK]"),
    continuing_subword_prefix: z.string().default("##"),
    max_input_chars_per_word: z.number().int().default(100),
    vocab: z.record(z.string(), z.number().int()),
  }),
});

export type Encoding = { ids: number[]; typeIds: number[]; tokens: string[] };
/** One word of a text: [start, end) in UTF-16 code units of the original text, and its pieces' ids. */
export type EncodedWord = { start: number; end: number; ids: number[] };

export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly config: z.infer<typeof tokenizerJsonSchema>;
  readonly maxLength: number;

  constructor(tokenizerJson: unknown, maxLength?: number) {
    const parsed = tokenizerJsonSchema.safeParse(tokenizerJson);
    if (!parsed.success) {
      throw new Error(`tokenizer.json is not a BERT WordPiece tokenizer: ${parsed.error.issues[0]?.message}`);
    }
    this.config = parsed.data;
    this.vocab = new Map(Object.entries(parsed.data.model.vocab));
    this.maxLength = maxLength ?? parsed.data.truncation?.max_length ?? 512;
    for (const special of ["[CLS]", "[SEP]", "[PAD]", this.config.model.unk_token]) {
      if (!this.vocab.has(special)) throw new Error(`tokenizer.json vocab lacks ${special}`);
    }
  }

  get padId(): number {
    return this.vocab.get("[PAD]")!;
  }

  encode(text: string): Encoding {
    const pieces: string[] = [];
    for (const word of preTokenize(this.normalise(text))) pieces.push(...this.wordPiece(word));
    const body = pieces.slice(0, this.maxLength - 2);
    const tokens = ["[CLS]", ...body, "[SEP]"];
    const ids = tokens.map((t) => this.vocab.get(t)!);
    return { ids, typeIds: ids.map(() => 0), tokens };
  }

  /**
   * The text's words with their character spans in the original text and their vocabulary ids, for
   * models that label words (token classification): every piece of a word points back at the word.
   */
  encodeWords(text: string): EncodedWord[] {
    const out: EncodedWord[] = [];
    for (const match of text.matchAll(PRE_TOKEN)) {
      const start = match.index;
      const pieces = preTokenize(this.normalise(match[0])).flatMap((w) => this.wordPiece(w));
      if (pieces.length === 0) continue;
      out.push({ start, end: start + match[0].length, ids: pieces.map((p) => this.vocab.get(p)!) });
    }
    return out;
  }

  idOf(token: string): number {
    return this.vocab.get(token)!;
  }

  private normalise(text: string): string {
    const n = this.config.normalizer;
    if (!n) return text;
    let out = text;
    if (n.clean_text) {
      out = out.replace(/[\ufffd\p{Cc}\p{Cf}]/gu, (c) => (/\s/.test(c) ? " " : "")).replace(/\s/g, " ");
    }
    if (n.handle_chinese_chars) {
      out = out.replace(/[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\u{20000}-\u{2fa1f}]/gu, (c) => ` ${c} `);
    }
    // As in Hugging Face's BertNormalizer: accents are stripped when asked, or by default when lowercasing.
    const strip = n.strip_accents ?? n.lowercase;
    if (n.lowercase) out = out.toLowerCase();
    if (strip) out = out.normalize("NFD").replace(/\p{Mn}/gu, "");
    return out;
  }

  private wordPiece(word: string): string[] {
    const {
      unk_token: unk,
      continuing_subword_prefix: prefix,
      max_input_chars_per_word: maxChars,
    } = this.config.model;
    const chars = [...word];
    if (chars.length > maxChars) return [unk];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        const piece = (start > 0 ? prefix : "") + chars.slice(start, end).join("");
        if (this.vocab.has(piece)) {
          found = piece;
          break;
        }
        end--;
      }
      if (found === null) return [unk];
      out.push(found);
      start = end;
    }
    return out;
  }
}

/** BertPreTokenizer: split on whitespace, and make every punctuation character its own token. */
export function preTokenize(text: string): string[] {
  return text.match(PRE_TOKEN) ?? [];
}

// BERT's punctuation: the ASCII symbol ranges plus Unicode's P* categories.
const PRE_TOKEN = /[^\s!-/:-@[-`{-~\p{P}]+|[!-/:-@[-`{-~\p{P}]/gu;
