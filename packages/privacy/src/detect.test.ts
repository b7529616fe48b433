import { describe, expect, it } from "vitest";
import { customRecognizerSchema } from "./custom.ts";
import { createDetector } from "./detect.ts";

const detector = createDetector();
const types = (text: string) => detector.find(text).map((f) => `${f.type}:${f.text}`);

describe("detectors", () => {
  it.each([
    ["EMAIL", "write to ana.lopez+news@mail.example.org today", "ana.lopez+news@mail.example.org"],
    ["PHONE", "call +44 20 7946 0958 tonight", "+44 20 7946 0958"],
    ["PHONE", "phone (415) 555-2671 after six", "(415) 555-2671"],
    ["CREDIT_CARD", "card 4111 1111 1111 1111 exp 12/30", "4111 1111 1111 1111"],
    ["CREDIT_CARD", "amex 378282246310005 on file", "378282246310005"],
    ["IBAN", "pay GB82 WEST 1234 5698 7654 32 now", "GB82 WEST 1234 5698 7654 32"],
    ["IBAN", "IBAN DE89370400440532013000.", "DE89370400440532013000"],
    ["US_SSN", "SSN 536-22-1234 on file", "536-22-1234"],
    ["US_SSN", "social security number 536221234", "536221234"],
    ["IP_ADDRESS", "blocked 203.0.113.195 twice", "203.0.113.195"],
    ["IP_ADDRESS", "from 2001:db8:85a3::8a2e:370:7334 at noon", "2001:db8:85a3::8a2e:370:7334"],
    ["MAC_ADDRESS", "adapter 00:1A:2b:3C:4d:5E dropped", "00:1A:2b:3C:4d:5E"],
    [
      "URL_CREDENTIALS",
      "clone https://bob:hunter22@git.example.com/x.git",
      "https://bob:hunter22@git.example.com/x.git",
    ],
    ["SECRET", "key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"],
    [
      "SECRET",
      "token ghp_16C7e42F292c6912E7710c838347Ae178B4a ok",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ],
    ["SECRET", "use glpat-xxXXyyYYzzZZ11223344 for CI", "glpat-xxXXyyYYzzZZ11223344"],
    ["SECRET", "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
    ["SECRET", "api secret: Zk3fQ9xLm2Pq8RtY7uWv6NbHc5", "Zk3fQ9xLm2Pq8RtY7uWv6NbHc5"],
    ["CRYPTO", "send to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT please", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"],
    [
      "CRYPTO",
      "wallet bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ],
    [
      "CRYPTO",
      "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ],
    ["DATE_OF_BIRTH", "born on 12 March 1984 in Porto", "12 March 1984"],
    ["PERSON", "Dr. Amelia Brandt signed it", "Amelia Brandt"],
    ["LOCATION", "ship to 221 Baker Street today", "221 Baker Street"],
  ])("%s in %j", (type, text, value) => {
    expect(types(text)).toContain(`${type}:${value}`);
  });

  it("finds a PEM private key block whole", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
    expect(detector.find(`config:\n${pem}\nend`)).toMatchObject([{ type: "SECRET", text: pem }]);
  });

  it("finds a JWT only when its header is JSON with an algorithm", () => {
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
    const jwt = `${header}.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`;
    expect(types(`Bearer ${jwt}`)).toContain(`SECRET:${jwt}`);
    expect(types("eyJub3QiOiJhbiBhbGcifQ.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLWJ5dGVz")).toEqual([]);
  });

  it.each([
    ["a Luhn-invalid card-shaped number", "tracking 4111 1111 1111 1112 shipped"],
    ["a Luhn-valid number of no card network", "ref 9999999999999995"],
    ["an IBAN with a wrong check", "pay GB83 WEST 1234 5698 7654 32"],
    ["an unlabelled SSN in a never-issued range", "ids 666-12-3456 and 912-34-5678 and 123-00-4567"],
    ["a label before something of another shape", "SSN: not on file (ref 12-345); IBAN: pending"],
    ["nine digits without SSN context", "badge 536221234 at the gate"],
    ["a version string", "upgrade to version 10.0.19041.1 and v1.2.3.4"],
    ["a time", "at 12:30:45 the job ran"],
    ["an ISBN", "ISBN 978-0-306-40615-7"],
    ["a timestamp", "2024-05-01T10:30:00Z"],
    ["an order number", "Order #4716229100 shipped"],
    ["A1-style codes", "gate A1, stand B12, row C7"],
    ["a hex commit hash", "commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"],
    ["a transaction hash", "tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"],
    ["a bitcoin-shaped string with a bad checksum", "to 1BoatSLRHtKNngkdXEeobR76b53LETtpyX"],
    ["an Ethereum address with a wrong checksum case", "eth 0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
    ["a date without birth context", "the invoice of 12 March 1984 was paid"],
    ["a long token far from secret words", "the slug is Ab3dEf6hIj9kLm2nOp5qRs8t in the URL"],
    ["a publishable Stripe key", "pk_live_4eC39HqLyjWDarjtT1zdp7dc"],
    ["a given name before a common noun", "Grace Period ends Friday; Victoria Station is shut"],
  ])("does not report %s", (_what, text) => {
    expect(types(text)).toEqual([]);
  });

  it.each([
    ["an SSN in a never-issued range", "SSN: 666-12-3456 on file", "US_SSN:666-12-3456"],
    ["a test SSN", "Social Security No. 123-45-6789", "US_SSN:123-45-6789"],
    ["an SSN with a zero group, unformatted", "ssn#123004567", "US_SSN:123004567"],
    [
      "an IBAN whose check fails",
      "IBAN: GB83 WEST 1234 5698 7654 32 (typo)",
      "IBAN:GB83 WEST 1234 5698 7654 32",
    ],
    ["an IBAN of a wrong length", "iban DE00123456781234", "IBAN:DE00123456781234"],
    ["a Luhn-invalid card number", "card number: 4111 1111 1111 1112", "CREDIT_CARD:4111 1111 1111 1112"],
  ])("treats a labelled value as what its label says, valid or not: %s", (_what, text, found) => {
    const findings = detector.find(text);
    expect(findings.map((f) => `${f.type}:${f.text}`)).toEqual([found]);
    expect(findings[0]!.recognizer).toMatch(/^labelled-/);
  });

  it("resolves overlaps: a card number inside a URL with credentials is one finding", () => {
    expect(types("see https://me:4111111111111111@pay.example.com/x")).toEqual([
      "URL_CREDENTIALS:https://me:4111111111111111@pay.example.com/x",
    ]);
  });

  it("raises the score with context words", () => {
    const [plain] = createDetector().find("ref 4111111111111111");
    const [near] = createDetector().find("credit card 4111111111111111");
    expect(near!.score).toBeGreaterThan(plain!.score);
  });
});

describe("custom recognisers", () => {
  it("finds a publisher's own identifiers, with context and a validator", () => {
    const custom = customRecognizerSchema.parse({
      name: "employee-id",
      type: "EMPLOYEE_ID",
      pattern: String.raw`\bEMP-\d{6}\b`,
      context: ["employee", "staff"],
      context_required: true,
    });
    const d = createDetector({ custom: [custom] });
    expect(d.find("staff number EMP-204811 joined")).toMatchObject([
      { type: "EMPLOYEE_ID", text: "EMP-204811" },
    ]);
    expect(d.find("part EMP-204811 in stock")).toEqual([]);
    const cards = createDetector({
      custom: [
        customRecognizerSchema.parse({
          name: "loyalty",
          type: "LOYALTY_CARD",
          pattern: String.raw`\bLC\d{10}\b`,
          validator: "luhn",
        }),
      ],
    });
    expect(cards.find("LC0000000018 and LC0000000019").map((f) => f.text)).toEqual(["LC0000000018"]);
  });

  it("refuses patterns that do not compile or could backtrack without end", () => {
    expect(customRecognizerSchema.safeParse({ name: "bad", type: "BAD", pattern: "(unclosed" }).success).toBe(
      false,
    );
    const nested = customRecognizerSchema.safeParse({ name: "slow", type: "SLOW", pattern: "(a+)+$" });
    expect(nested.error?.issues[0]?.message).toMatch(/nested quantifiers/);
  });
});
