/** What the detectors find. Custom recognisers may add types of their own (upper case). */
export const ENTITY_TYPES = [
  "EMAIL",
  "PHONE",
  "CREDIT_CARD",
  "IBAN",
  "US_SSN",
  "IP_ADDRESS",
  "MAC_ADDRESS",
  "URL_CREDENTIALS",
  "SECRET",
  "CRYPTO",
  "DATE_OF_BIRTH",
  "PERSON",
  "LOCATION",
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * Types whose leak does direct harm (money, accounts, identity): a version still holding one that
 * its policy does not explicitly keep is not published.
 */
export const HIGH_RISK: ReadonlySet<string> = new Set([
  "CREDIT_CARD",
  "IBAN",
  "US_SSN",
  "SECRET",
  "URL_CREDENTIALS",
]);

/** One detected span of text: [start, end) in UTF-16 code units, as JavaScript strings index. */
export type Finding = {
  type: string;
  start: number;
  end: number;
  text: string;
  /** 0..1: how sure the recogniser is (validated checksums and context words raise it). */
  score: number;
  recognizer: string;
};

export interface Recognizer {
  readonly name: string;
  find(text: string): Finding[];
}

/**
 * A recogniser that reads many texts at once and answers later: a model (e.g. ONNX token
 * classification for PERSON and LOCATION), run in batches before the texts are desensitised.
 */
export interface BatchRecognizer {
  readonly name: string;
  findAll(texts: readonly string[]): Promise<Finding[][]>;
}
