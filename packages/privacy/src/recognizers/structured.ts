import { isIP } from "node:net";
import type { Finding, Recognizer } from "../entities.ts";
import {
  base58CheckValid,
  bech32Valid,
  cardNetwork,
  entropyBits,
  ethereumChecksumOk,
  ibanValid,
  luhnValid,
  ssnValid,
} from "../validators.ts";
import { LABELLED } from "./labelled.ts";
import { patternRecognizer } from "./pattern.ts";

/** Not preceded by a word character, a dot or a dash: a candidate must not be the tail of a longer token. */
const START = String.raw`(?<![\w.-])`;
/** Not followed by a word character, or a dot or dash that continues the token. */
const END = String.raw`(?![\w-]|\.\w)`;

export const email = patternRecognizer({
  name: "email",
  requires: /@/,
  type: "EMAIL",
  pattern: new RegExp(
    String.raw`${START}[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}${END}`,
    "g",
  ),
  score: 0.95,
});

export const creditCard = patternRecognizer({
  name: "credit-card",
  requires: /\d{4}/,
  type: "CREDIT_CARD",
  // Digits as printed on cards: in one run, or in groups separated by one space or dash.
  pattern: new RegExp(
    String.raw`${START}(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}|\d{4}[ -]\d{6}[ -]\d{4,5})${END}`,
    "g",
  ),
  score: 0.9,
  validate: (value) => {
    const digits = value.replace(/[ -]/g, "");
    return luhnValid(digits) && cardNetwork(digits) !== null;
  },
  context: ["card", "visa", "mastercard", "amex", "credit", "debit", "cc"],
});

const IBAN_CANDIDATE = new RegExp(
  String.raw`${START}[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?${END}`,
  "g",
);
const IBAN_CONTEXT = /\b(?:iban|account|bank|transfer|wire|pay)/i;

/**
 * IBANs, printed whole or in groups of four. A candidate may run into the next word ("… 1485 ISBN"),
 * so it is shortened group by group until the country's length and mod-97 check hold.
 */
export const iban: Recognizer = {
  name: "iban",
  find(text) {
    const found: Finding[] = [];
    for (const m of text.matchAll(IBAN_CANDIDATE)) {
      for (let candidate = m[0]; candidate.replace(/ /g, "").length >= 15;) {
        if (ibanValid(candidate.replace(/ /g, ""))) {
          const before = text.slice(Math.max(0, m.index - 48), m.index);
          found.push({
            type: "IBAN",
            start: m.index,
            end: m.index + candidate.length,
            text: candidate,
            score: IBAN_CONTEXT.test(before) ? 1 : 0.95,
            recognizer: "iban",
          });
          break;
        }
        const cut = candidate.lastIndexOf(" ");
        candidate = cut > 0 ? candidate.slice(0, cut) : candidate.slice(0, -1);
      }
    }
    return found;
  },
};

export const usSsn = patternRecognizer({
  name: "us-ssn",
  requires: /\d{3}[- ]\d\d[- ]\d{4}/,
  type: "US_SSN",
  pattern: new RegExp(String.raw`${START}(\d{3})([- ])(\d{2})\2(\d{4})${END}`, "g"),
  score: 0.8,
  validate: (_value, m) => ssnValid(m[1]!, m[3]!, m[4]!),
  context: ["ssn", "social security", "social-security", "taxpayer"],
});

/** Nine digits in a row are an SSN only when the text says so. */
export const usSsnUnformatted = patternRecognizer({
  name: "us-ssn-unformatted",
  type: "US_SSN",
  pattern: new RegExp(String.raw`${START}(\d{3})(\d{2})(\d{4})${END}`, "g"),
  score: 0.7,
  validate: (_value, m) => ssnValid(m[1]!, m[2]!, m[3]!),
  context: ["ssn", "social security", "social-security"],
  contextRequired: true,
});

export const ipv4 = patternRecognizer({
  name: "ipv4",
  requires: /\d\.\d{1,3}\.\d/,
  type: "IP_ADDRESS",
  pattern: new RegExp(
    String.raw`${START}(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:/\d{1,2})?${END}`,
    "g",
  ),
  score: 0.85,
  // "version 1.2.3.4" is a version, not a host.
  validate: (_value, _m, before) => !/\b(?:v|version|release|build|ver\.?)\s*$/i.test(before),
  context: ["ip", "address", "host", "server", "client", "from", "connected"],
});

export const ipv6 = patternRecognizer({
  name: "ipv6",
  requires: /[0-9A-Fa-f]?::?[0-9A-Fa-f]+:/,
  type: "IP_ADDRESS",
  pattern: new RegExp(
    String.raw`(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])`,
    "g",
  ),
  score: 0.85,
  // Times (12:30:45) and bare colons are not addresses: it must parse, and hold a hex group or '::'.
  validate: (value) =>
    isIP(value) === 6 && (/::/.test(value) || /[a-f]/i.test(value) || value.split(":").length === 8),
});

export const macAddress = patternRecognizer({
  name: "mac-address",
  // Led by the separator, which the engine scans for quickly; hex letters abound in prose.
  requires: /[:-][0-9A-Fa-f]{2}[:-]|\.[0-9A-Fa-f]{4}\./,
  type: "MAC_ADDRESS",
  pattern: new RegExp(
    String.raw`${START}(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})${END}`,
    "g",
  ),
  score: 0.85,
  context: ["mac", "hardware", "ethernet", "wifi", "device"],
});

export const urlCredentials = patternRecognizer({
  name: "url-credentials",
  requires: /:\/\/[^\s/]*@/,
  type: "URL_CREDENTIALS",
  pattern: /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s:@/]+:[^\s@/]+@[^\s/?#]+[^\s]*/gi,
  score: 0.95,
});

const SECRET_WORDS = [
  "key",
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "credential",
  "api_key",
  "apikey",
  "auth",
];

export const secrets: Recognizer[] = [
  patternRecognizer({
    name: "aws-access-key",
    requires: /A[KSBC][IC]A/,
    type: "SECRET",
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g,
    score: 0.95,
  }),
  patternRecognizer({
    name: "github-token",
    requires: /gh[pousr]_|github_pat_/,
    type: "SECRET",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{60,255})\b/g,
    score: 0.98,
  }),
  patternRecognizer({
    name: "gitlab-token",
    requires: /gl[a-z]{2,4}-/,
    type: "SECRET",
    pattern: /\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,50}\b/g,
    score: 0.98,
  }),
  patternRecognizer({
    name: "stripe-key",
    requires: /_(?:live|test)_|whsec_/,
    type: "SECRET",
    // Publishable keys (pk_) are meant to be public; secret and restricted keys are not.
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b|\bwhsec_[A-Za-z0-9]{24,64}\b/g,
    score: 0.98,
  }),
  patternRecognizer({
    name: "jwt",
    requires: /eyJ/,
    type: "SECRET",
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    score: 0.9,
    validate: (value) => {
      try {
        return "alg" in JSON.parse(Buffer.from(value.split(".")[0]!, "base64url").toString("utf8"));
      } catch {
        return false;
      }
    },
  }),
  patternRecognizer({
    name: "pem-private-key",
    requires: /-----BEGIN/,
    type: "SECRET",
    pattern: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/g,
    score: 1,
  }),
  patternRecognizer({
    name: "high-entropy-token",
    type: "SECRET",
    // A long random-looking token (letters of both cases and digits) right after a word like "token".
    pattern: /(?<![\w/+=-])(?<value>[A-Za-z0-9+/_=-]{20,200})(?![\w/+=-])/g,
    score: 0.75,
    validate: (value) =>
      /[a-z]/.test(value) &&
      /[A-Z]/.test(value) &&
      /\d/.test(value) &&
      !/^[0-9a-fA-F]+$/.test(value) &&
      entropyBits(value) >= 3.8,
    context: SECRET_WORDS,
    contextRequired: true,
  }),
];

export const crypto: Recognizer[] = [
  patternRecognizer({
    name: "bitcoin-base58",
    requires: /\b[13][1-9A-HJ-NP-Za-km-z]{25}/,
    type: "CRYPTO",
    pattern: new RegExp(String.raw`${START}[13][1-9A-HJ-NP-Za-km-z]{25,34}${END}`, "g"),
    score: 0.95,
    validate: (value) => base58CheckValid(value),
  }),
  patternRecognizer({
    name: "bitcoin-bech32",
    requires: /\b(?:bc1|BC1|tb1)/,
    type: "CRYPTO",
    pattern: new RegExp(String.raw`${START}(?:bc1|BC1|tb1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}${END}`, "g"),
    score: 0.95,
    validate: (value) => bech32Valid(value),
  }),
  patternRecognizer({
    name: "ethereum",
    requires: /0x[0-9a-fA-F]{40}/,
    type: "CRYPTO",
    pattern: /\b0x[0-9a-fA-F]{40}\b/g,
    score: 0.85,
    validate: (value) => ethereumChecksumOk(value),
    context: ["eth", "ether", "ethereum", "wallet", "address", "send", "pay"],
  }),
];

const MONTHS =
  "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec";

const BIRTH_CONTEXT = /\b(?:born|birth|birthday|dob|d\.o\.b\.?|b\.)(?:\s*(?:on|in|is|was|date|:|-))*\s*$/i;

/** A date is a date of birth only when the words before it say so. */
export const dateOfBirth = patternRecognizer({
  name: "date-of-birth",
  requires: /\b(?:born|birth|dob|d\.o\.b|b\.)/i,
  type: "DATE_OF_BIRTH",
  pattern: new RegExp(
    String.raw`${START}(?:(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|1[0-2])[/.](?:19|20)\d\d|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d\d|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)? (?:${MONTHS})\.?,? (?:19|20)\d\d|(?:${MONTHS})\.? (?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,? (?:19|20)\d\d)(?![\w-]|\.\d)`,
    "g",
  ),
  score: 0.9,
  // The birth words must lead straight to the date ("born on", "DOB:", "birthday is"), so other
  // dates later in the sentence are not taken for it.
  validate: (_value, _m, before) => BIRTH_CONTEXT.test(before),
});

/** Every structured detector; PHONE (libphonenumber) and PERSON/LOCATION live in their own modules. */
export const STRUCTURED: Recognizer[] = [
  email,
  creditCard,
  iban,
  usSsn,
  usSsnUnformatted,
  ipv4,
  ipv6,
  macAddress,
  urlCredentials,
  ...secrets,
  ...crypto,
  dateOfBirth,
  ...LABELLED,
];
