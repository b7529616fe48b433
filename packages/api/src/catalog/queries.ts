import { cubes, cubeVersions, type Executor, organizations } from "@memstore/db";
import { and, eq } from "drizzle-orm";

/**
 * The catalog's reads that other folders ask for, each `fn(db, { … })`: a cube's ready versions,
 * and a cube with its publisher. The services authorize what they show; these only read.
 */

/** Every ready version of a cube (an install picks among them by its version policy). */
export function readyVersions(db: Executor, at: { cubeId: string }) {
  return db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, at.cubeId), eq(cubeVersions.status, "ready")));
}

/** A cube and the organisation that publishes it. */
export async function cubeWithPublisher(db: Executor, at: { cubeId: string }) {
  const [found] = await db
    .select({ cube: cubes, publisher: organizations })
    .from(cubes)
    .innerJoin(organizations, eq(organizations.id, cubes.orgId))
    .where(eq(cubes.id, at.cubeId));
  if (!found) throw new Error(`cube ${at.cubeId} is gone`);
  return found;
}
