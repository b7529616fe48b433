import type { Candidate, PassageChooser } from "./passages.ts";
import type { Tokenizer } from "./tokens.ts";

/**
 * Laying passages out as the context block an agent pastes: grouped by source (each group under a
 * heading naming the cube, its version and publisher, or the vault's own memories), groups in the
 * order of their best passage, every passage behind its citation mark `[n]`, numbered in reading
 * order. The block never holds more than `budget` tokens: passages are packed by their own counts,
 * then the whole block is counted, and the last passage taken goes until it fits.
 */

/** What a passage is set under, and the text it shows (as served: fingerprinted). */
export type Placed<T> = { item: T; group: string; heading: string; text: string };

const SEPARATOR = "\n\n";
/** Fewer tokens left than this and no passage can fit: packing stops. */
const MIN_ROOM = 8;
/** Candidates in a row that did not fit before packing gives up on the rest. */
const MAX_MISSES = 50;

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
    for (;;) {
      const laid = layOut(this.placed);
      const tokens = this.tokens.count(laid.context);
      if (tokens <= this.budget) return { ...laid, tokens };
      if (this.placed.length === 1) return this.cut(this.placed[0]!);
      // Counted apart, passages may join into a few more tokens: the last taken goes.
      this.placed.pop();
    }
  }

  private tryPlace(p: Placed<T>): boolean {
    const heading = this.headingCost.has(p.group) ? 0 : this.tokens.count(`## ${p.heading}${SEPARATOR}`);
    const cost = this.tokens.count(`[${this.placed.length + 1}] ${p.text}${SEPARATOR}`) + heading;
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
