import type { Subject } from "@memstore/core";
import {
  canariesOf,
  canaryKey,
  findCanaries,
  fingerprintCode,
  matchFingerprint,
  readFingerprints,
  wordsOf,
} from "@memstore/watermark";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize, authorizedRows } from "../kernel/authorize.ts";
import { publisherKeys } from "../kernel/secrets.ts";
import { textTraceCandidates } from "./queries.ts";

/** The largest text a trace reads (a leaked page or file, not a corpus). */
export const MAX_TRACE_CHARS = 1_000_000;

export const traceInput = z
  .object({ text: z.string().min(1).max(MAX_TRACE_CHARS, `at most ${MAX_TRACE_CHARS} characters`) })
  .strict();

export type TraceEvidence =
  /** Of the `marks` invisible marks read, `agreeing` are the ones this copy carries there. */
  | { kind: "fingerprint"; marks: number; agreeing: number }
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

export type TraceResult = {
  matches: TraceMatch[];
  /** Whether the text holds fingerprint marks at all; false means they were stripped or never there. */
  marked: boolean;
  /** Distinct fingerprint marks read. */
  marks: number;
  detail: string;
};

/**
 * The chance that an unrelated text holds both invented words of one canary term, taken high on
 * purpose: the words are pronounceable, and a short one may be somebody's name.
 */
const CANARY_FALSE_MATCH = 0.01;
/**
 * A copy is named by its marks when no more than one in a hundred such agreements would be chance
 * (at one in ten, a second subscriber was named beside the right one about once in twelve traces of
 * a 200-character excerpt; the right one's confidence there is above 0.99).
 */
const MIN_FINGERPRINT_CONFIDENCE = 0.99;

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
  const candidates = await textTraceCandidates(ctx.db, { publisherOrgId: subject.orgId });
  // The copies of the caller's own cubes: whoever installed them is named, nobody else's cubes are.
  const copies = authorizedRows(subject, "cube.trace", candidates, (c) => ({ orgId: c.publisher_org_id }));
  const matches: TraceMatch[] = [];
  // Each copy's code, and how well the marks agree with it; the chance of an agreement that good is
  // taken once per distinct code, so it is not understated however many copies there are.
  const agreement = new Map<string, ReturnType<typeof matchFingerprint>>();
  for (const copy of reading.marked ? copies : []) {
    const key = `${copy.org_id}\0${copy.version_id}`;
    if (!agreement.has(key))
      agreement.set(
        key,
        matchFingerprint(reading, fingerprintCode(ctx.keys.secret, copy.org_id, copy.version_id)),
      );
  }
  for (const copy of copies) {
    const hit = agreement.get(`${copy.org_id}\0${copy.version_id}`);
    if (!hit) continue;
    const confidence = 1 - Math.min(1, hit.chance * agreement.size);
    if (confidence < MIN_FINGERPRINT_CONFIDENCE) continue;
    matches.push({
      org_id: copy.org_id,
      install_id: copy.install_id,
      confidence,
      cube_id: copy.cube_id,
      version: copy.version,
      evidence: [{ kind: "fingerprint", marks: hit.marks, agreeing: hit.agreeing }],
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
    marks: reading.marks.length,
    detail: detailOf(matches.length, reading.marked),
  } satisfies TraceResult;
}

function detailOf(matched: number, marked: boolean): string {
  const copies = `${matched} cop${matched === 1 ? "y" : "ies"} of your cubes matched`;
  if (!marked) {
    return matched > 0
      ? `${copies} by their canary facts; the text carries no fingerprint marks`
      : "the text carries no fingerprint marks and no canary facts: it was never served by MemStore, or its invisible characters were stripped";
  }
  if (matched > 0) return copies;
  return "the text carries fingerprint marks, but too few of them agree with any copy of your cubes to name one: it is too short, or not from your cubes";
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
    alg: "aes-256-gcm" as const,
    encryption_key: publisherKeys(ctx.keys, subject.orgId).encryptionKey.toString("base64url"),
  };
}
