import { baseModels, type Executor, sql } from "@memstore/db";
import { and, asc, eq, isNull, or } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of the model registry, each `fn(db, { orgId, … })`. A name belongs to the organisation
 * that registered it, or to the platform (registered by the operator, `orgId: null`); an
 * organisation sees its own models and the platform's.
 */

/** Models registered by this organisation (null: the platform's). */
const ownedBy = (orgId: string | null) =>
  orgId === null ? isNull(baseModels.registeredByOrgId) : eq(baseModels.registeredByOrgId, orgId);

/** The models an organisation's cubes may name: its own and the platform's. */
const visibleTo = (orgId: string) =>
  or(eq(baseModels.registeredByOrgId, orgId), isNull(baseModels.registeredByOrgId));

/** The model of that name the organisation (or, with null, the platform) registered, if any. */
export async function ownModelNamed(db: Executor, at: { orgId: string | null; name: string }) {
  const [row] = await db
    .select()
    .from(baseModels)
    .where(and(eq(baseModels.name, at.name), ownedBy(at.orgId)));
  return row ?? null;
}

/** The model a name means to an organisation: its own registration, else the platform's. */
export async function visibleModelNamed(db: Executor, at: { orgId: string; name: string }) {
  const [row] = await db
    .select()
    .from(baseModels)
    .where(and(eq(baseModels.name, at.name), visibleTo(at.orgId)))
    .orderBy(sql`${baseModels.registeredByOrgId} is null`)
    .limit(1);
  return row ?? null;
}

/** The first `limit` names of the models the organisation sees, alphabetically. */
export async function visibleModelNames(db: Executor, at: { orgId: string; limit: number }) {
  const rows = await db
    .select({ name: baseModels.name })
    .from(baseModels)
    .where(visibleTo(at.orgId))
    .orderBy(asc(baseModels.name))
    .limit(at.limit);
  return rows.map((r) => r.name);
}

/** One page of the models the organisation sees, by name. */
export function visibleModelPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(baseModels)
      .where(visibleTo(at.orgId))
      .orderBy(asc(baseModels.name), asc(baseModels.id))
      .$dynamic(),
    at.page,
  );
}

/** A model by id if the organisation sees it (its own or the platform's). */
export async function visibleModel(db: Executor, at: { orgId: string; modelId: string }) {
  const [row] = await db
    .select()
    .from(baseModels)
    .where(and(eq(baseModels.id, at.modelId), visibleTo(at.orgId)));
  return row ?? null;
}

/** A model by id, whoever registered it (the operator's command line). */
export async function modelById(db: Executor, at: { modelId: string }) {
  const [row] = await db.select().from(baseModels).where(eq(baseModels.id, at.modelId));
  return row ?? null;
}
