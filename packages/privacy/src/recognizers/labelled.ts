import type { Recognizer } from "../entities.ts";
import { patternRecognizer } from "./pattern.ts";

/**
 * Values a label names: "SSN: 000-12-3456", "IBAN: DE00 1234 …", "card number 4111 …". The text says
 * what the value is, so it is treated as that identifier even where its checksum or number range
 * says no real one could look so — a typo or a test value in a published pack is still a leak to
 * whoever audits it. The validated recognisers still find unlabelled values; where both find one,
 * the higher score wins (a labelled value is scored just under a validated one with context).
 */
const SEPARATOR = String.raw`\s*(?:no\.?|number|num\.?|#)?\s*[:#=-]?\s*`;
const END = String.raw`(?![\w-])`;

export const labelledSsn = patternRecognizer({
  name: "labelled-ssn",
  requires: /ssn|social/i,
  type: "US_SSN",
  pattern: new RegExp(
    String.raw`\b(?:SSN|social[ -]security)${SEPARATOR}(?<value>\d{3}([- ]?)\d{2}\2\d{4})${END}`,
    "gi",
  ),
  score: 0.9,
});

export const labelledIban = patternRecognizer({
  name: "labelled-iban",
  requires: /iban/i,
  type: "IBAN",
  pattern: new RegExp(
    String.raw`\bIBAN${SEPARATOR}(?<value>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)${END}`,
    "gi",
  ),
  score: 0.9,
});

export const labelledCard = patternRecognizer({
  name: "labelled-card",
  requires: /card|cc/i,
  type: "CREDIT_CARD",
  pattern: new RegExp(
    String.raw`\b(?:(?:credit|debit)[ -]card|card|CC)${SEPARATOR}(?<value>\d{4}([ -]?)\d{4}\2\d{4}\2\d{1,7})${END}`,
    "gi",
  ),
  score: 0.9,
});

export const LABELLED: Recognizer[] = [labelledSsn, labelledIban, labelledCard];
