import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * A publisher suspends, resumes and retires a listing: suspended, it leaves the store and takes no
 * new acquisitions while its holders keep working; retired, it is gone for good.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});

afterAll(async () => {
  await bed?.close();
});

describe("a listing's status after publishing", () => {
  it("suspends without harming holders, resumes, and retires for good", async () => {
    const { listing } = await bed.listedCube(
      "harbour-lights",
      "# Lights\n\nThe west light flashes green every 4 s.\n",
    );
    const holder = await bed.subscriber("Pilots", listing.id);
    const newcomer = await bed.organization("Newcomers", "owner@newcomers.example.com");
    const as = (key: string, method: string, action: string) =>
      bed.api(method, `/api/v1/listings/${listing.id}/${action}`, key);
    const inStore = async () =>
      (
        (await bed.api("GET", "/api/v1/store/listings?limit=100", newcomer)).body.items as Array<{
          id: string;
        }>
      ).some((l) => l.id === listing.id);

    expect(await inStore()).toBe(true);
    expect((await as(holder.key, "POST", "suspend")).status).toBe(404);
    const suspended = await as(bed.publisherKey, "POST", "suspend");
    expect([suspended.status, suspended.body.status]).toEqual([200, "suspended"]);
    expect(await inStore()).toBe(false);
    expect((await bed.api("POST", `/api/v1/store/listings/${listing.id}/acquire`, newcomer)).status).toBe(
      404,
    );
    // The holder keeps its entitlement and its memory.
    expect((await holder.search("west light")).length).toBeGreaterThan(0);
    expect((await as(bed.publisherKey, "POST", "suspend")).status).toBe(409);

    expect((await as(bed.publisherKey, "POST", "resume")).body.status).toBe("published");
    expect(await inStore()).toBe(true);

    const retired = await as(bed.publisherKey, "POST", "retire");
    expect([retired.status, retired.body.status]).toEqual([200, "retired"]);
    expect(await inStore()).toBe(false);
    for (const action of ["resume", "suspend", "retire", "publish"]) {
      const refused = await as(bed.publisherKey, "POST", action);
      expect([refused.status, refused.body.code], action).toEqual([409, "conflict"]);
    }
  });
});
