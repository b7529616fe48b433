import { eventSubscriptions, type Executor } from "@memstore/db";
import { and, asc, eq, isNull } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/** The reads of event subscriptions, each `fn(db, { orgId, … })`: the services judge each row. */

/** One page of the organisation's live event subscriptions, oldest first. */
export function eventSubscriptionPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(eventSubscriptions)
      .where(and(eq(eventSubscriptions.orgId, at.orgId), isNull(eventSubscriptions.deletedAt)))
      .orderBy(asc(eventSubscriptions.createdAt), asc(eventSubscriptions.id))
      .$dynamic(),
    at.page,
  );
}
