import { type Executor, queryRows, sql } from "@memstore/db";

/**
 * The reads of tracing a leak, each `fn(db, { publisherOrgId })`: who could have received the
 * publisher's own cubes. Every organisation that installed one (now or before) is a candidate for
 * every ready version of it; nobody else's cubes are read.
 */

export type TraceCandidate = {
  /** The organisation whose cube it is: the caller's, or the trace is refused. */
  publisher_org_id: string;
  org_id: string;
  install_id: string;
  cube_id: string;
  version_id: string;
  version: string;
};

/** Every (install, ready version) of the publisher's cubes, whether the install holds that version now, and its listing's canaries. */
export function textTraceCandidates(db: Executor, at: { publisherOrgId: string }) {
  return queryRows<TraceCandidate & { installed: boolean; canaries: boolean }>(
    db,
    sql`select c.org_id as publisher_org_id, i.org_id, i.id as install_id, i.cube_id, v.id as version_id, v.version,
        v.id = i.version_id as installed, l.canaries
      from installs i
      join listings l on l.id = i.listing_id
      join cubes c on c.id = i.cube_id and c.org_id = ${at.publisherOrgId}
      join cube_versions v on v.cube_id = i.cube_id and v.status = 'ready'
      order by i.created_at, v.ready_at`,
  );
}

/** One candidate per (organisation, ready version) of the publisher's binary cubes: its latest install. */
export function binaryTraceCandidates(db: Executor, at: { publisherOrgId: string }) {
  return queryRows<TraceCandidate>(
    db,
    sql`select distinct on (i.org_id, v.id) c.org_id as publisher_org_id, i.org_id, i.id as install_id, i.cube_id, v.id as version_id, v.version
      from installs i
      join cubes c on c.id = i.cube_id and c.org_id = ${at.publisherOrgId} and c.type <> 'plaintext'
      join cube_versions v on v.cube_id = i.cube_id and v.status = 'ready'
      order by i.org_id, v.id, i.created_at desc`,
  );
}
