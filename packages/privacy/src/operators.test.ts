import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Desensitiser } from "./desensitise.ts";
import { createDetector } from "./detect.ts";
import { applyOperator, decryptText, operatorSchema, Pseudonyms } from "./operators.ts";
import { piiPolicySchema, resolvePolicy } from "./policy.ts";

const keys = { hmacSecret: randomBytes(32), encryptionKey: randomBytes(32) };
const finding = (type: string, text: string) => ({
  type,
  text,
  start: 0,
  end: text.length,
  score: 1,
  recognizer: "t",
});
const apply = (op: unknown, type: string, text: string, pseudonyms = new Pseudonyms(keys.hmacSecret)) =>
  applyOperator(operatorSchema.parse(op), finding(type, text), keys, pseudonyms);

describe("operators", () => {
  it("redacts, replaces, keeps", () => {
    expect(apply({ operator: "redact" }, "EMAIL", "a@b.example")).toBe("");
    expect(apply({ operator: "replace" }, "EMAIL", "a@b.example")).toBe("<EMAIL>");
    expect(apply({ operator: "replace", with: "[contact]" }, "EMAIL", "a@b.example")).toBe("[contact]");
    expect(apply({ operator: "keep" }, "LOCATION", "Porto")).toBe("Porto");
  });

  it("masks n characters from either end", () => {
    expect(apply({ operator: "mask", chars: 12 }, "CREDIT_CARD", "4111111111111111")).toBe(
      "************1111",
    );
    expect(apply({ operator: "mask", chars: 4, from_end: true, char: "#" }, "PHONE", "5550123")).toBe(
      "555####",
    );
    expect(apply({ operator: "mask", chars: 99 }, "US_SSN", "536-22-1234")).toBe("***********");
  });

  it("hashes with the publisher's secret: stable for one publisher, different for another", () => {
    const a = apply({ operator: "hash" }, "EMAIL", "a@b.example");
    expect(a).toMatch(/^<EMAIL:[0-9a-f]{64}>$/);
    expect(apply({ operator: "hash" }, "EMAIL", "a@b.example")).toBe(a);
    const other = applyOperator(
      { operator: "hash" },
      finding("EMAIL", "a@b.example"),
      { ...keys, hmacSecret: randomBytes(32) },
      new Pseudonyms(keys.hmacSecret),
    );
    expect(other).not.toBe(a);
  });

  it("encrypts so that only the publisher's key gives the value back", () => {
    const text = `Card ${apply({ operator: "encrypt" }, "CREDIT_CARD", "4111111111111111")} on file`;
    expect(text).not.toContain("4111");
    expect(decryptText(keys.encryptionKey, text)).toBe("Card 4111111111111111 on file");
    expect(() => decryptText(randomBytes(32), text)).toThrow();
    // Two encryptions of one value differ (fresh IV), so ciphertexts do not reveal equal values.
    expect(apply({ operator: "encrypt" }, "CREDIT_CARD", "4111111111111111")).not.toBe(
      apply({ operator: "encrypt" }, "CREDIT_CARD", "4111111111111111"),
    );
  });

  it("pseudonymises the same value to the same name throughout, numbering values by type", () => {
    const p = new Pseudonyms(keys.hmacSecret);
    expect(apply({ operator: "pseudonymise" }, "PERSON", "Ana Lopez", p)).toBe("<PERSON_1>");
    expect(apply({ operator: "pseudonymise" }, "PERSON", "Ben Okafor", p)).toBe("<PERSON_2>");
    expect(apply({ operator: "pseudonymise" }, "EMAIL", "ana@x.example", p)).toBe("<EMAIL_1>");
    expect(apply({ operator: "pseudonymise" }, "PERSON", "ana  lopez".replace("  ", " "), p)).toBe(
      "<PERSON_1>",
    );
  });
});

describe("desensitising a cube's texts with a policy", () => {
  const detector = createDetector();

  it("applies the default policy and reports counts, masked samples and no residual risk", () => {
    const d = new Desensitiser({ detector, policy: resolvePolicy(piiPolicySchema.parse({})), keys });
    const second = "Dr. Ana Lopez called +44 20 7946 0958 about card 4111 1111 1111 1111.";
    const out = [
      d.apply("Dr. Ana Lopez (ana.lopez@clinic.example.com) saw the patient.", "line 1"),
      d.apply(second, "line 2"),
    ];
    expect(out[0]).toBe("Dr. <PERSON_1> (<EMAIL>) saw the patient.");
    expect(out[1]).toBe("Dr. <PERSON_1> called <PHONE> about card <CREDIT_CARD>.");
    const report = d.report();
    expect(report.entities).toMatchObject({
      PERSON: { found: 2, operator: "pseudonymise" },
      EMAIL: { found: 1, operator: "replace" },
      PHONE: { found: 1 },
      CREDIT_CARD: { found: 1 },
    });
    expect(report.samples.find((s) => s.type === "CREDIT_CARD")).toEqual({
      type: "CREDIT_CARD",
      where: "line 2",
      start: second.indexOf("4111"),
      end: second.indexOf("4111") + 19,
      sample: "41•• •••• •••• ••11",
      operator: "replace",
    });
    expect(JSON.stringify(report)).not.toContain("4111 1111");
    expect(report).toMatchObject({ residual: {}, residual_risk: "none", blocking_types: [] });
  });

  it("flags what a publisher's policy leaves in place; high-risk types block unless kept on purpose", () => {
    const policy = resolvePolicy(piiPolicySchema.parse({ EMAIL: "replace" }));
    const d = new Desensitiser({ detector, policy, keys });
    d.apply(
      "Deploy with sk_live_4eC39HqLyjWDarjtT1zdp7dc, questions to ops@example.com, office in Lisbon.",
      "line 3",
    );
    expect(d.report()).toMatchObject({
      residual: { SECRET: 1, LOCATION: 1 },
      residual_risk: "high",
      blocking_types: ["SECRET"],
      residual_samples: [
        expect.objectContaining({
          type: "SECRET",
          where: "line 3",
          sample: expect.stringMatching(/^sk•+dc$/),
        }),
        expect.anything(),
      ],
    });
    const kept = new Desensitiser({
      detector,
      policy: resolvePolicy(piiPolicySchema.parse({ SECRET: "keep", LOCATION: "keep" })),
      keys,
    });
    kept.apply("Deploy with sk_live_4eC39HqLyjWDarjtT1zdp7dc in Lisbon.", "line 1");
    expect(kept.report()).toMatchObject({ residual_risk: "none", blocking_types: [] });
  });

  it("validates policies: operators by name or with options, types in upper snake case", () => {
    expect(resolvePolicy(piiPolicySchema.parse({ CREDIT_CARD: { operator: "mask", chars: 12 } }))).toEqual({
      CREDIT_CARD: { operator: "mask", chars: 12, from_end: false, char: "*" },
    });
    expect(piiPolicySchema.safeParse({ email: "replace" }).success).toBe(false);
    expect(piiPolicySchema.safeParse({ EMAIL: "shred" }).success).toBe(false);
  });
});
