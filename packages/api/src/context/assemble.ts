import type { Candidate, PassageChooser } from "./passages.ts";
import type { Tokenizer } from "./tokens.ts";

/**
 * Laying passages out as the context block an agent pastes: grouped by source (each group under a
 * heading naming the cube, its version and publisher, or the vault's own memories), groups in the
 * order of their best passage, every passage behind its citation mark `[n]`, numbered in reading
 * order. The block never holds more than `budget` tokens.
 *
 * The block's count is the sum of its pieces' counts, each counted once: a heading `## …\n\n`, a
 * passage `[n] …\n\n`, and the last passage without its separator. That holds because both
 * tokenizers split text into pre-tokens before merging within each, and never across a point
 * where `\n\n` meets the `[` or `#` that follows (newlines end a pre-token; `[` starts one), and
 * a mark `[n]` is three tokens whatever n up to 999 (`[`, the number, `]`; the space goes with the
 * text). So a passage's count does not depend on its mark and is remembered by text (tokens.ts).
 * `assemble.test.ts` checks the sum against a count of the whole block.
 */

/** What a passage is set under, and the text it shows (as served: fingerprinted). */
export type Placed<T> = { item: T; group: string; heading: string; text: string };

const SEPARATOR = "\n\n";
/** `[n]`: three tokens in both tokenizers for any n up to 999 (assemble.test.ts). */
export const MARK_TOKENS = 3;
/** Fewer tokens left than this and no passage can fit: packing stops. */
const MIN_ROOM = 8;
/**
 * Candidates in a row that did not fit before packing gives up on the rest: by then the room left
 * is less than the passages ranked next take, and each try marks and counts one more (bench:context
 * measured 50 tries costing 9 ms more CPU per 2,000-token context than 8).
 */
const MAX_MISSES = 8;

export type Laid<T> = { context: string; tokens: number; passages: Array<Placed<T> & { n: number }> };

/** The block for these passages: groups in order of first appearance, marks numbered as read. */
export function layOut<T>(placed: readonly Placed<T>[]): {
  context: string;
  passages: Array<Placed<T> & { n: number }>;
} {
  const groups = new Map<string, Placed<T>[]>();
  for (const p of placed) {
    const group = groups.get(p.group);
    if (group) group.push(p);
    else groups.set(p.group, [p]);
  }
  const passages: Array<Placed<T> & { n: number }> = [];
  const blocks: string[] = [];
  for (const group of groups.values()) {
    const lines = [`## ${group[0]!.heading}`];
    for (const p of group) {
      const n = passages.length + 1;
      passages.push({ ...p, n });
      lines.push(`[${n}] ${p.text}`);
    }
    blocks.push(lines.join(SEPARATOR));
  }
  return { context: blocks.join(SEPARATOR), passages };
}

/**
 * Packs passages pulled from a chooser into a budget. `fill` takes what fits (retrying first what
 * did not fit before); `drop` gives passages back (a share cap refused them), after which `fill`
 * may take others in their room; `finish` lays the block out within the budget exactly.
 */
export class Packer<T> {
  readonly placed: Placed<T>[] = [];
  private skipped: Array<Placed<T>> = [];
  private cost = 0;
  private readonly headingCost = new Map<string, number>();
  /** Each passage's tokens with its mark and the separator after it. */
  private readonly costs = new Map<Placed<T>, number>();

  constructor(
    private readonly chooser: PassageChooser<T>,
    private readonly tokens: Tokenizer,
    private readonly budget: number,
    private readonly place: (c: Candidate<T>) => Placed<T>,
  ) {}

  fill() {
    const retry = this.skipped;
    this.skipped = [];
    for (const p of retry) this.tryPlace(p);
    let misses = 0;
    while (this.budget - this.cost >= MIN_ROOM && misses < MAX_MISSES) {
      const next = this.chooser.next();
      if (!next) break;
      misses = this.tryPlace(this.place(next)) ? 0 : misses + 1;
    }
  }

  drop(items: ReadonlySet<T>) {
    const kept = this.placed.filter((p) => !items.has(p.item));
    if (kept.length === this.placed.length) return;
    this.placed.length = 0;
    this.cost = 0;
    this.headingCost.clear();
    for (const p of kept) this.tryPlace(p);
  }

  /** The block, at most `budget` tokens; a first passage too long for it alone is cut to fit. */
  finish(): Laid<T> {
    if (this.placed.length === 0) {
      const first = this.skipped[0];
      if (first) return this.cut(first);
      return { context: "", tokens: 0, passages: [] };
    }
    const laid = layOut(this.placed);
    // The last passage read has no separator after it.
    const last = this.placed.find((p) => p.item === laid.passages.at(-1)!.item)!;
    const tokens = this.cost - this.passageCost(last) + MARK_TOKENS + this.tokens.count(` ${last.text}`);
    if (tokens <= this.budget) return { ...laid, tokens };
    return this.counted();
  }

  /**
   * The block counted whole, the last passage taken going until it fits: where the sum of its
   * pieces came out over the budget (a passage counting fewer tokens with its separator than
   * without, which no text seen yet does).
   */
  private counted(): Laid<T> {
    for (;;) {
      const laid = layOut(this.placed);
      const tokens = this.tokens.count(laid.context);
      if (tokens <= this.budget) return { ...laid, tokens };
      if (this.placed.length === 1) return this.cut(this.placed[0]!);
      this.placed.pop();
    }
  }

  private passageCost(p: Placed<T>): number {
    let cost = this.costs.get(p);
    if (cost === undefined) {
      cost = MARK_TOKENS + this.tokens.count(` ${p.text}${SEPARATOR}`);
      this.costs.set(p, cost);
    }
    return cost;
  }

  private tryPlace(p: Placed<T>): boolean {
    const heading = this.headingCost.has(p.group) ? 0 : this.tokens.count(`## ${p.heading}${SEPARATOR}`);
    const cost = this.passageCost(p) + heading;
    if (this.cost + cost > this.budget) {
      this.skipped.push(p);
      return false;
    }
    if (heading > 0) this.headingCost.set(p.group, heading);
    this.placed.push(p);
    this.cost += cost;
    return true;
  }

  /** One passage cut to the budget: its heading and mark, then as much of its text as fits, and "…". */
  private cut(p: Placed<T>): Laid<T> {
    const frame = this.tokens.count(layOut([{ ...p, text: "…" }]).context);
    let room = this.budget - frame;
    while (room > 0) {
      const laid = layOut([{ ...p, text: `${this.tokens.head(p.text, room).trimEnd()}…` }]);
      const tokens = this.tokens.count(laid.context);
      if (tokens <= this.budget) return { ...laid, tokens };
      room -= tokens - this.budget;
    }
    return { context: "", tokens: 0, passages: [] };
  }
}
