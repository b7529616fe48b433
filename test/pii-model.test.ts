import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyTokenClassifier } from "@memstore/inference/testing";
import { createDetector } from "@memstore/privacy";
import { stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Desensitisation with an ONNX token-classification model for PERSON and LOCATION (PII_MODEL_DIR):
 * the model, built in code with the input and output names of a real NER export, is loaded by the
 * same code that loads a real one, and takes over people and places from the built-in heuristic.
 */
const modelDir = mkdtempSync(join(tmpdir(), "memstore-pii-model-"));
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  writeTinyTokenClassifier(modelDir);
  bed = await openHttpTestbed({ PII_MODEL_DIR: modelDir });
});
afterAll(async () => {
  await bed?.close();
  rmSync(modelDir, { recursive: true, force: true });
});

// Names no list of common names holds: only the model knows them.
const ESCALATION = "Escalate to Zorbash Quillet in Lyon.";

describe("a PII model for people and places", () => {
  it("finds the names the heuristic cannot, throughout a cube read in batches, metadata included", async () => {
    expect(
      createDetector()
        .find(ESCALATION)
        .map((f) => f.type),
    ).not.toContain("PERSON");

    // More items than one batch, so pseudonyms must stay consistent across batches.
    const items = Array.from({ length: 70 }, (_, i) => ({
      text: i % 2 === 0 ? `Shift ${i}: ${ESCALATION}` : `Shift ${i}: the crane works in New York.`,
      metadata: { author: "Ines", reviewed_by: ["Zo"] },
    }));
    const { cube, listing } = await bed.submittedCube(
      "escalations",
      items.map((i) => JSON.stringify(i)).join("\n"),
      { governance: { pii_policy: { PERSON: "pseudonymise", LOCATION: "replace" } } },
    );
    const version = await bed.api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, bed.publisherKey);
    expect(version.body.status).toBe("ready");
    const run = version.body.runs.find((r: { kind: string }) => r.kind === "desensitise");
    expect(run.report.people_and_places).toMatch(/^onnx:memstore-pii-model-\w+@[0-9a-f]{12}$/);
    expect(run.report.entities).toMatchObject({
      PERSON: { found: 35 + 70 * 2, operator: "pseudonymise" },
      LOCATION: { found: 70, operator: "replace" },
    });

    expect((await bed.api("POST", `/api/v1/listings/${listing.id}/publish`, bed.publisherKey)).status).toBe(
      200,
    );
    const s = await bed.subscriber("Lift Services", listing.id);
    const results = await s.search("shift crane escalate", { mode: "keyword", top_k: 100 });
    expect(results).toHaveLength(70);
    const texts = results.map((r) => stripMarks(r.text));
    const escalations = texts.filter((t) => t.includes("Escalate"));
    expect(escalations).toHaveLength(35);
    // One pseudonym for one person in every batch; the places replaced.
    for (const t of escalations) expect(t).toMatch(/^Shift \d+: Escalate to <PERSON_\d+> in <LOCATION>\.$/);
    expect(new Set(escalations.map((t) => /<PERSON_\d+>/.exec(t)![0])).size).toBe(1);
    expect(texts.filter((t) => t.endsWith("the crane works in <LOCATION>."))).toHaveLength(35);
    const all = texts.join("\n") + JSON.stringify(results.map((r) => r.metadata));
    for (const name of ["Zorbash", "Quillet", "Lyon", "New York", "Ines", '"Zo"'])
      expect(all).not.toContain(name);
  });

  it("desensitises memories agents write to a vault that asks for it", async () => {
    const key = await bed.organization("Night Desk", "owner@night-desk.example.com");
    const vault = await bed.api("POST", "/api/v1/vaults", key, { name: "notes", desensitise_on_write: true });
    const memory = await bed.api("POST", `/api/v1/vaults/${vault.body.id}/memories`, key, {
      text: "Met Zorbash Quillet in New York.",
    });
    expect(memory.status).toBe(201);
    // The default policy pseudonymises people and keeps places.
    expect(memory.body.text).toMatch(/^Met <PERSON_1> in New York\.$/);
  });
});
