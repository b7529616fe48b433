import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import {
  canariesOf,
  canaryKey,
  findCanaries,
  fingerprintCode,
  readFingerprints,
  RS_LENGTH,
  wordsOf,
} from "@memstore/watermark";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize, authorizedRows } from "../identity/authorize.ts";
import { publisherKeys } from "../secrets.ts";

/** The largest text a trace reads (a leaked page or file, not a corpus). */
export const MAX_TRACE_CHARS = 1_000_000;

export const traceInput = z
  .object({ text: z.string().min(1).max(MAX_TRACE_CHARS, `at most ${MAX_TRACE_CHARS} characters`) })
  .strict();

export type TraceEvidence =
  | { kind: "fingerprint"; frames: number; corrected: number }
  | { kind: "canary"; terms: string[] }
  /** A LoRA pack's or KV snapshot's keyed pattern, found by correlation over `elements` values. */
  | { kind: "weights"; correlation: number; elements: number };

export type TraceMatch = {
  org_id: string;
  install_id: string;
  confidence: number;
  cube_id: string;
  version: string;
  evidence: TraceEvidence[];
};

/** A copy a trace compares the leak with: one version as one organisation's install received it. */
export type TraceCandidate = {
  /** The organisation whose cube it is: the caller's, or the trace is refused. */
  publisher_org_id: string;
  org_id: string;
  install_id: string;
  cube_id: string;
  version_id: string;
  version: string;
};

export type TraceResult = {
  matches: TraceMatch[];
  /** Whether the text holds fingerprint marks at all; false means they were stripped or never there. */
  marked: boolean;
  frames: number;
  detail: string;
};

/**
 * The chance that an unrelated text holds both invented words of one canary term, taken high on
 * purpose: the words are pronounceable, and a short one may be somebody's name.
 */
const CANARY_FALSE_MATCH = 0.01;

/**
 * Which subscribers a leaked text came from. Only the caller's own cubes are considered: every
 * organisation that installed one of them (now or before), for every version it could have received.
 * Two kinds of evidence: fingerprint codes read from the invisible marks, matched against those
 * copies' codes; and canary terms (see @memstore/watermark canary.ts), which survive a paraphrase or a
 * retyped copy, matched against every install's canaries.
 */
export async function traceLeak(ctx: AppContext, subject: Subject, input: z.infer<typeof traceInput>) {
  authorize(subject, "cube.trace");
  const reading = readFingerprints(input.text);
  const candidates = await queryRows<
    TraceCandidate & {
      installed: boolean;
      canaries: boolean;
    }
  >(
    ctx.db,
    sql`select c.org_id as publisher_org_id, i.org_id, i.id as install_id, i.cube_id, v.id as version_id, v.version,
        v.id = i.version_id as installed, l.canaries
      from installs i
      join listings l on l.id = i.listing_id
      join cubes c on c.id = i.cube_id and c.org_id = ${subject.orgId}
      join cube_versions v on v.cube_id = i.cube_id and v.status = 'ready'
      order by i.created_at, v.ready_at`,
  );
  // The copies of the caller's own cubes: whoever installed them is named, nobody else's cubes are.
  const copies = authorizedRows(subject, "cube.trace", candidates, (c) => ({ orgId: c.publisher_org_id }));
  const matches: TraceMatch[] = [];
  const found = new Map(reading.codes.map((c) => [c.code, c]));
  const codeOf = new Map<string, number>();
  for (const copy of reading.marked ? copies : []) {
    const key = `${copy.org_id}\0${copy.version_id}`;
    let code = codeOf.get(key);
    if (code === undefined)
      codeOf.set(key, (code = fingerprintCode(ctx.keys.secret, copy.org_id, copy.version_id)));
    const hit = found.get(code);
    if (!hit) continue;
    matches.push({
      org_id: copy.org_id,
      install_id: copy.install_id,
      confidence: confidenceOf(hit.frames, hit.corrected, copies.length),
      cube_id: copy.cube_id,
      version: copy.version,
      evidence: [{ kind: "fingerprint", frames: hit.frames, corrected: hit.corrected }],
    });
  }
  const words = wordsOf(input.text);
  for (const copy of copies.filter((c) => c.installed && c.canaries)) {
    const canaries = findCanaries(words, canariesOf(canaryKey(ctx.keys.secret, copy.install_id)));
    if (canaries.length === 0) continue;
    const evidence: TraceEvidence = { kind: "canary", terms: canaries.map((c) => c.term) };
    const confidence = 1 - CANARY_FALSE_MATCH ** canaries.length;
    const marked = matches.find((m) => m.install_id === copy.install_id);
    if (marked) {
      marked.evidence.push(evidence);
      marked.confidence = 1 - (1 - marked.confidence) * (1 - confidence);
    } else {
      matches.push({ ...copy, confidence, evidence: [evidence] });
    }
  }
  for (const m of matches) m.confidence = Number(m.confidence.toFixed(6));
  matches.sort((a, b) => b.confidence - a.confidence || b.evidence.length - a.evidence.length);
  return {
    matches: matches.map(({ org_id, install_id, confidence, cube_id, version, evidence }) => ({
      org_id,
      install_id,
      confidence,
      cube_id,
      version,
      evidence,
    })),
    marked: reading.marked,
    frames: reading.frames,
    detail: detailOf(matches.length, reading),
  } satisfies TraceResult;
}

function detailOf(matched: number, reading: ReturnType<typeof readFingerprints>): string {
  const copies = `${matched} cop${matched === 1 ? "y" : "ies"} of your cubes matched`;
  if (!reading.marked) {
    return matched > 0
      ? `${copies} by their canary facts; the text carries no fingerprint marks`
      : "the text carries no fingerprint marks and no canary facts: it was never served by MemStore, or its invisible characters were stripped";
  }
  if (matched > 0) return copies;
  return reading.codes.length > 0
    ? "the text carries fingerprints, but of no copy of your cubes"
    : "the text carries fingerprint marks too damaged to read";
}

/**
 * How sure an attribution is: one minus the chance that random marks would read as one of the
 * candidate copies' codes in every frame that did. A frame read with e corrections matches any of the
 * Σ C(12,i)·15ⁱ (i ≤ e) words around a codeword, out of 16¹² possible words.
 */
function confidenceOf(frames: number, corrected: number, candidates: number): number {
  const e = Math.min(3, Math.ceil(corrected / frames));
  let ball = 0;
  for (let i = 0; i <= e; i++) ball += binomial(RS_LENGTH, i) * 15 ** i;
  const chance = Math.min(1, (ball / 16 ** RS_LENGTH) * candidates);
  return Number((1 - chance ** frames).toFixed(6));
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return r;
}

/**
 * The organisation's key for values its `encrypt` operator replaced (AES-256-GCM): only the
 * publisher can read them back (`decryptText` of @memstore/privacy). Reading it is audited.
 */
export async function publisherEncryptionKey(ctx: AppContext, subject: Subject) {
  authorize(subject, "publisher_key.read");
  await ctx.db.transaction((tx) =>
    recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "publisher_key.read",
      objectType: "organization",
      objectId: subject.orgId,
      data: {},
    }),
  );
  return {
    alg: "aes-256-gcm",
    encryption_key: publisherKeys(ctx.keys, subject.orgId).encryptionKey.toString("base64url"),
  };
}
