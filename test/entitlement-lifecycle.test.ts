import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createCube } from "@memstore/api/catalog";
import { grantEntitlement, moveEntitlement } from "@memstore/api/internal";
import { createListing } from "@memstore/api/listings";
import {
  AppError,
  ENTITLEMENT_CAUSES,
  ENTITLEMENT_MOVES,
  ENTITLEMENT_STATES,
  type EntitlementCause,
  type EntitlementMove,
  type EntitlementState,
} from "@memstore/core";
import { entitlements, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";

/**
 * The entitlement lifecycle, walked through its one writer on Postgres: every move the table in
 * @memstore/core allows is made, and every other (cause, from, to) is refused with a 409 and
 * changes nothing. Each try runs in its own transaction, rolled back after.
 */
let t: TestContext;
let orgId: string;
let listingId: string;
const CAUSES = Object.keys(ENTITLEMENT_CAUSES) as EntitlementCause[];
const FROM: Array<EntitlementState | null> = [null, ...ENTITLEMENT_STATES];

beforeAll(async () => {
  t = await openTestContext("postgres");
  const org = await createOrganization(t.ctx, { name: "Tern Labs", ownerEmail: "owner@tern.test" });
  const subject = await authenticateApiKey(t.ctx, org.api_key);
  const cube = await createCube(t.ctx, subject, {
    slug: "tern-notes",
    type: "plaintext",
    title: "Tern notes",
  });
  const listing = await createListing(t.ctx, subject, {
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "free" },
  });
  orgId = org.org_id;
  listingId = listing.id;
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

/** The moves that bring a new entitlement to `state`: the table's own, found breadth first. */
function pathTo(state: EntitlementState): EntitlementMove[] {
  const queue: EntitlementMove[][] = ENTITLEMENT_MOVES.filter((m) => m.from === null).map((m) => [m]);
  for (let path = queue.shift(); path; path = queue.shift()) {
    const last = path[path.length - 1]!;
    if (last.to === state) return path;
    for (const next of ENTITLEMENT_MOVES.filter((m) => m.from === last.to && m.to !== m.from))
      if (!path.some((p) => p.to === next.to)) queue.push([...path, next]);
  }
  throw new Error(`no state ${state} is reachable`);
}

const grant = (tx: Tx, cause: EntitlementCause, state: EntitlementState) =>
  grantEntitlement(
    tx,
    { cause, orgId, listingId, source: "free", state, validFrom: new Date(), validUntil: null },
    { actor: "test", data: {} },
  );

/** An entitlement in `state`, made by the table's moves. */
async function heldIn(tx: Tx, state: EntitlementState): Promise<string> {
  const [first, ...rest] = pathTo(state);
  const { row } = await grant(tx, first!.cause, first!.to);
  for (const move of rest)
    await moveEntitlement(tx, row.id, { cause: move.cause, to: move.to, actor: "test" });
  return row.id;
}

class Rollback extends Error {}

/** Tries one (cause, from, to) in a transaction rolled back after; says what the writer did. */
async function attempt(cause: EntitlementCause, from: EntitlementState | null, to: EntitlementState) {
  let outcome:
    { state: EntitlementState } | { refused: AppError; stateAfter: EntitlementState | null } | null = null;
  await t.ctx.db
    .transaction(async (tx) => {
      const id = from === null ? null : await heldIn(tx, from);
      try {
        const row =
          id === null
            ? (await grant(tx, cause, to)).row
            : (await moveEntitlement(tx, id, { cause, to, actor: "test" })).row;
        outcome = { state: row.state };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const [after] = id ? await tx.select().from(entitlements).where(eq(entitlements.id, id)) : [];
        outcome = { refused: error, stateAfter: after?.state ?? null };
      }
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return outcome!;
}

describe("the entitlement lifecycle", () => {
  it("reaches every state from none, through the table's own moves", () => {
    for (const state of ENTITLEMENT_STATES) expect(pathTo(state).at(-1)!.to).toBe(state);
  });

  it("makes every move the table allows and refuses every other with a 409 that changes nothing", async () => {
    let allowed = 0;
    let refused = 0;
    for (const cause of CAUSES) {
      for (const from of FROM) {
        for (const to of ENTITLEMENT_STATES) {
          const listed = ENTITLEMENT_MOVES.some((m) => m.cause === cause && m.from === from && m.to === to);
          const outcome = await attempt(cause, from, to);
          const what = `${cause}: ${from ?? "none"} → ${to}`;
          if (listed) {
            expect(outcome, what).toEqual({ state: to });
            allowed++;
          } else {
            expect("refused" in outcome, what).toBe(true);
            if (!("refused" in outcome)) continue;
            expect(outcome.refused.status, what).toBe(409);
            expect(outcome.refused.code, what).toBe("conflict");
            expect(outcome.stateAfter, what).toBe(from);
            refused++;
          }
        }
      }
    }
    expect(allowed).toBe(ENTITLEMENT_MOVES.length);
    expect(allowed + refused).toBe(CAUSES.length * FROM.length * ENTITLEMENT_STATES.length);
  }, 300_000);

  it("never moves a revoked entitlement again", () => {
    expect(ENTITLEMENT_MOVES.filter((m) => m.from === "revoked")).toEqual([]);
  });
});
