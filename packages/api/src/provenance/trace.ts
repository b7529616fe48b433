import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import { fingerprintCode, readFingerprints, RS_LENGTH } from "@memstore/watermark";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../identity/authorize.ts";
import { publisherKeys } from "../secrets.ts";

/** The largest text a trace reads (a leaked page or file, not a corpus). */
export const MAX_TRACE_CHARS = 1_000_000;

export const traceInput = z
  .object({ text: z.string().min(1).max(MAX_TRACE_CHARS, `at most ${MAX_TRACE_CHARS} characters`) })
  .strict();

export type TraceMatch = {
  org_id: string;
  install_id: string;
  confidence: number;
  cube_id: string;
  version: string;
  evidence: { kind: "fingerprint"; frames: number; corrected: number };
};

export type TraceResult = {
  matches: TraceMatch[];
  /** Whether the text holds fingerprint marks at all; false means they were stripped or never there. */
  marked: boolean;
  frames: number;
  detail: string;
};

/**
 * Which subscribers a leaked text came from. Only the caller's own cubes are considered: every
 * organisation that installed one of them (now or before), for every version it could have received.
 * Each fingerprint code read from the text is matched against those copies' codes.
 */
export async function traceLeak(ctx: AppContext, subject: Subject, input: z.infer<typeof traceInput>) {
  authorize(subject, "cube.trace", { orgId: subject.orgId });
  const reading = readFingerprints(input.text);
  if (!reading.marked) {
    return {
      matches: [],
      marked: false,
      frames: 0,
      detail:
        "the text carries no fingerprint marks: it was never served by MemStore, or its invisible characters were stripped",
    } satisfies TraceResult;
  }
  const copies = await queryRows<{
    org_id: string;
    install_id: string;
    cube_id: string;
    version_id: string;
    version: string;
  }>(
    ctx.db,
    sql`select i.org_id, i.id as install_id, i.cube_id, v.id as version_id, v.version
      from installs i
      join cubes c on c.id = i.cube_id and c.org_id = ${subject.orgId}
      join cube_versions v on v.cube_id = i.cube_id and v.status = 'ready'
      order by i.created_at, v.ready_at`,
  );
  const found = new Map(reading.codes.map((c) => [c.code, c]));
  const codeOf = new Map<string, number>();
  const matches: TraceMatch[] = [];
  for (const copy of copies) {
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
      evidence: { kind: "fingerprint", frames: hit.frames, corrected: hit.corrected },
    });
  }
  matches.sort((a, b) => b.confidence - a.confidence || b.evidence.frames - a.evidence.frames);
  return {
    matches,
    marked: true,
    frames: reading.frames,
    detail:
      matches.length > 0
        ? `${matches.length} cop${matches.length === 1 ? "y" : "ies"} of your cubes matched`
        : reading.codes.length > 0
          ? "the text carries fingerprints, but of no copy of your cubes"
          : "the text carries fingerprint marks too damaged to read",
  } satisfies TraceResult;
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
  authorize(subject, "key.manage", { orgId: subject.orgId });
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
