import { AppError, type Subject } from "@memstore/core";
import type { ListingRow } from "@memstore/db";
import { embedFingerprint } from "@memstore/watermark";
import semver from "semver";
import type { z } from "zod";
import { authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { searchVersion } from "../search/search-version.ts";
import { markingFor } from "../watermarking/served-text.ts";
import { cubeById } from "../catalog/queries.ts";
import {
  claimPreviewQuestions,
  countPreviewAnswers,
  questionCoverage,
  readyVersionsOfCubes,
} from "./queries.ts";
import type { tryListingInput } from "./schemas.ts";
import { assertPublished, loadVisibleListing } from "./store-listings.ts";

/** One question's answer: whether the pack holds one, and if so where and a snippet of it. */
type TryAnswer = { question: string; answered: boolean; section?: string; snippet?: string };

/** Questions one organisation may ask one listing per UTC day. */
export const PREVIEW_QUESTIONS_PER_DAY = 20;
/** The longest snippet an answer shows, marks included. */
export const SNIPPET_MAX = 160;
/** A chunk answers a question when it holds at least this share of the question's word stems. */
const ANSWERED_COVERAGE = 0.5;

/**
 * `POST /api/v1/store/listings/{listing_id}/try`: a signed-in buyer asks a plaintext listing a few
 * questions before buying. Each answer says whether the newest installable version holds an
 * answer, the section it is in and a snippet of at most 160 characters, fingerprinted to the
 * asking organisation (a snippet that leaks names its asker). Up to 20 questions per organisation,
 * listing and UTC day, claimed exactly before any is answered (`429 preview_rate`); `403
 * preview_off` where the publisher turned previews off. Counted for the publisher's Sales.
 */
export async function tryListing(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  input: z.infer<typeof tryListingInput>,
) {
  authorize(subject, "store.read");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  if (listing.orgId !== subject.orgId) assertPublished(listing);
  const version = await previewedVersion(ctx, listing);
  const day = new Date().toISOString().slice(0, 10);
  const claim = { listingId: listing.id, orgId: subject.orgId, day };
  const asked = await claimPreviewQuestions(ctx.db, {
    ...claim,
    n: input.questions.length,
    max: PREVIEW_QUESTIONS_PER_DAY,
  });
  if (asked === null) {
    throw new AppError(
      "preview_rate",
      `an organisation may ask a listing ${PREVIEW_QUESTIONS_PER_DAY} questions a day (UTC) before buying it; today's are used up or fewer are left than you asked`,
      { retry_after: secondsToNextUtcDay() },
    );
  }
  const answers = await answerAll(ctx, subject, version, listing, input.questions);
  await countPreviewAnswers(ctx.db, { ...claim, n: answers.filter((a) => a.answered).length });
  return { version: version.version, answers, questions_left_today: PREVIEW_QUESTIONS_PER_DAY - asked };
}

const secondsToNextUtcDay = () => {
  const now = new Date();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((next - now.getTime()) / 1000);
};

/** The version a preview answers from: the listing's newest installable one, plaintext only. */
async function previewedVersion(ctx: AppContext, listing: ListingRow) {
  if (!listing.preview) {
    throw new AppError("preview_off", "the publisher does not offer previews of this listing");
  }
  const cube = await cubeById(ctx.db, { cubeId: listing.cubeId });
  if (cube?.type !== "plaintext") {
    throw new AppError("conflict", `a ${cube?.type ?? "missing"} cube has no text to answer questions from`);
  }
  const ready = await readyVersionsOfCubes(ctx.db, { cubeIds: [listing.cubeId] });
  const newest = ready.sort((a, b) => semver.rcompare(a.version, b.version))[0];
  if (!newest) throw new AppError("no_ready_version", "the listing has no version to answer from");
  return newest;
}

async function answerAll(
  ctx: AppContext,
  subject: Subject,
  version: { id: string; chunkCount: number | null },
  listing: ListingRow,
  questions: string[],
) {
  const tops = await Promise.all(
    questions.map(async (query) => {
      const [hit] = await searchVersion(ctx, {
        versionId: version.id,
        chunks: version.chunkCount ?? 0,
        query,
        topK: 1,
      });
      return hit;
    }),
  );
  const coverage = await questionCoverage(
    ctx.db,
    questions.map((question, i) => ({ question, text: tops[i]?.text ?? "" })),
  );
  const code = markingFor(ctx, subject.orgId).fingerprint(version.id);
  return questions.map((question, i): TryAnswer => {
    const hit = tops[i];
    if (!hit || coverage[i]! < ANSWERED_COVERAGE) return { question, answered: false };
    return {
      question,
      answered: true,
      ...(hit.heading && { section: hit.heading }),
      snippet: markedSnippet(snippetAround(hit.text, question), code, listing),
    };
  });
}

/** Up to 160 characters of the text around the first of the question's longer words it holds. */
export function snippetAround(text: string, question: string, max = SNIPPET_MAX) {
  // The section is named beside the snippet: its Markdown heading lines are left out of it.
  const flat = text
    .replace(/^#{1,6}\s.*$/gm, "")
    .replace(/\s+/g, " ")
    .trim();
  const lower = flat.toLowerCase();
  const words = question
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 4);
  const hits = words.map((w) => lower.indexOf(w.slice(0, 5))).filter((at) => at >= 0);
  const at = hits.length > 0 ? Math.min(...hits) : 0;
  const start = Math.max(0, Math.min(at - 40, flat.length - max));
  return flat.slice(start, start + max).trim();
}

/** The snippet marked for the asking organisation, shortened until marks and all fit 160 characters. */
function markedSnippet(plain: string, code: number, listing: ListingRow) {
  for (let text = plain; text.length > 0; text = text.slice(0, -10).trimEnd()) {
    const marked = embedFingerprint(text, code, listing.marks);
    if (marked.length <= SNIPPET_MAX) return marked;
  }
  return "";
}
