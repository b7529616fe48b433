import { expireAbandonedDrafts } from "@memstore/api/catalog";
import { cubeVersions, sql } from "@memstore/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Drafts hold uploaded payloads against a per-organisation quota, and a payload nobody submits
 * expires. The probe: a parametric draft took 200 MB that no one ever submitted.
 */
const QUOTA = 1024 * 1024;
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let key: string;

beforeAll(async () => {
  bed = await openHttpTestbed({ DRAFT_STORAGE_BYTES: String(QUOTA), DRAFT_PAYLOAD_TTL_HOURS: "24" });
  key = await bed.organization("Hoarders", "owner@hoarders.example.com");
});

afterAll(async () => {
  await bed?.close();
});

/** A new cube with a draft 1.0.0; its id. */
async function draft(slug: string) {
  const cube = (await bed.api("POST", "/api/v1/cubes", key, { slug, type: "plaintext", title: slug })).body;
  await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, key, { version: "1.0.0" });
  return cube.id as string;
}

const upload = (cubeId: string, bytes: number, withLength = true) =>
  fetch(`${bed.server.url}/api/v1/cubes/${cubeId}/versions/1.0.0/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "text/markdown" },
    // A stream has no declared length: the quota must cut it off while it arrives.
    body: withLength
      ? Buffer.alloc(bytes, 0x61)
      : new ReadableStream({
          start(controller) {
            for (let sent = 0; sent < bytes; sent += 65_536) controller.enqueue(Buffer.alloc(65_536, 0x61));
            controller.close();
          },
        }),
    ...(withLength ? {} : { duplex: "half" }),
  });

describe("draft storage", () => {
  it("holds an organisation's unsubmitted payloads within its quota, with its own code", async () => {
    const first = await draft("first");
    expect((await upload(first, 700 * 1024)).status).toBe(200);
    // Replacing a draft's payload does not count the one it replaces.
    expect((await upload(first, 700 * 1024)).status).toBe(200);

    const second = await draft("second");
    const declared = await upload(second, 700 * 1024);
    expect(declared.status).toBe(413);
    const problem = await declared.json();
    expect(problem).toMatchObject({ code: "draft_storage_exceeded", limit: QUOTA });
    expect(problem.available).toBeLessThan(400 * 1024);

    const streamed = await upload(second, 700 * 1024, false);
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).code).toBe("draft_storage_exceeded");
    expect((await upload(second, 100 * 1024)).status).toBe(200);
  });

  it("lets a payload nobody submits expire, freeing its room and its blob", async () => {
    const third = await draft("third");
    expect((await upload(third, 700 * 1024)).status).toBe(413);
    const [held] = await bed.t.ctx.db
      .select()
      .from(cubeVersions)
      .where(
        sql`${cubeVersions.orgId} = (select org_id from cubes where slug = 'first') and status = 'draft' and digest is not null`,
      )
      .limit(1);
    // Uploaded two days ago: past the 24 hours a draft keeps its payload.
    await bed.t.ctx.db
      .update(cubeVersions)
      .set({ uploadedAt: new Date(Date.now() - 48 * 3_600_000) })
      .where(eq(cubeVersions.id, held!.id));
    expect(await expireAbandonedDrafts(bed.t.ctx)).toBe(1);
    const [after] = await bed.t.ctx.db.select().from(cubeVersions).where(eq(cubeVersions.id, held!.id));
    expect(after).toMatchObject({ status: "draft", digest: null, size: null });
    expect(await bed.t.ctx.blobs.stat(held!.digest!)).toBeNull();
    expect((await upload(third, 700 * 1024)).status).toBe(200);
    expect(await expireAbandonedDrafts(bed.t.ctx)).toBe(0);
  });
});
