import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});
afterAll(async () => {
  await bed?.close();
});

describe("a published pack's labelled identifiers", () => {
  it("are desensitised as what their labels say, though no checksum or range allows them", async () => {
    // Each value fails its validation: an SSN in a never-issued area, an IBAN with a wrong check
    // digit, a card number that fails Luhn. Each is labelled, so each is a leak all the same.
    const { cube, listing } = await bed.listedCube(
      "claims-desk",
      [
        "# Claims",
        "Claimant file: SSN: 666-12-3456, refund to IBAN: GB83 WEST 1234 5698 7654 32.",
        "",
        "# Cards",
        "Charged to card number 4111 1111 1111 1112 on arrival.",
      ].join("\n"),
    );
    const version = (await bed.api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, bed.publisherKey)).body;
    const run = (
      version.runs as Array<{ kind: string; report: { entities: Record<string, { found: number }> } }>
    ).find((r) => r.kind === "desensitise")!;
    expect(run.report.entities).toMatchObject({
      US_SSN: { found: 1 },
      IBAN: { found: 1 },
      CREDIT_CARD: { found: 1 },
    });

    const reader = await bed.subscriber("Claims Reader", listing.id);
    const served = (await reader.search("claimant refund card arrival")).map((r) => r.text).join("\n");
    expect(served).toContain("Claimant file");
    for (const leak of ["666-12-3456", "GB83 WEST", "4111 1111 1111 1112"])
      expect(served).not.toContain(leak);
  });
});
