import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { Finding, Recognizer } from "../entities.ts";

const CANDIDATE =
  /(?:\+|\((?=\d)|(?<![\w.+-]))\d[\d \t()./-]{5,24}\d(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\w-]|\.\d)/g;
/** Dates and dotted addresses have the digits of a phone number but not its shape. */
const NOT_A_PHONE = /^\d{4}-\d{2}-\d{2}|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$|^\d{1,3}(?:\.\d{1,3}){3}$/;
const CONTEXT = /\b(?:phone|tel|telephone|mobile|cell|call|fax|whatsapp|sms|text|reach|contact|number)\b/i;

/**
 * Phone numbers with libphonenumber's full metadata: international ones (+…) anywhere, national ones
 * as dialled in the default country; only numbers that are valid for their country (numbering plan,
 * length) are reported, so order numbers and timestamps are not.
 */
export function phoneRecognizer(defaultCountry: CountryCode = "US"): Recognizer {
  return {
    name: "phone",
    find(text) {
      const found: Finding[] = [];
      // libphonenumber parses a candidate in about 40 µs (its text scanner costs 2 s per MB of
      // prose), so only spans that could be a number at all are parsed: E.164 allows 8 to 15
      // digits after a '+', and a number dialled nationally in the default country has 10 or 11.
      for (const candidate of text.matchAll(CANDIDATE)) {
        const value = candidate[0];
        const digitCount = value.replace(/\D/g, "").length;
        const plus = value.startsWith("+");
        if (plus ? digitCount < 8 || digitCount > 15 : digitCount < 10 || digitCount > 11) continue;
        if (NOT_A_PHONE.test(value) || !parsePhoneNumberFromString(value, defaultCountry)?.isValid())
          continue;
        {
          const match = { startsAt: candidate.index, endsAt: candidate.index + value.length };
          const before = text.slice(Math.max(0, match.startsAt - 48), match.startsAt);
          const international = text[match.startsAt] === "+";
          const raw = text.slice(match.startsAt, match.endsAt);
          const near = CONTEXT.test(before);
          // An unbroken run of digits dialled nationally is as likely an order or account number:
          // it counts only where the text speaks of phones, and never right after '#' or "No.".
          if (!international && /^\d+$/.test(raw) && (!near || /(?:#|\bno\.?)\s*$/i.test(before))) continue;
          found.push({
            type: "PHONE",
            start: match.startsAt,
            end: match.endsAt,
            text: raw,
            score: Math.min(1, (international ? 0.85 : 0.7) + (near ? 0.15 : 0)),
            recognizer: "phone",
          });
        }
      }
      return found;
    },
  };
}
