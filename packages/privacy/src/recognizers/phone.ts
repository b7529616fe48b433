import { type CountryCode, findPhoneNumbersInText } from "libphonenumber-js/max";
import type { Finding, Recognizer } from "../entities.ts";

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
      // The scanner is linear but not cheap: only text holding a run of digits is handed to it.
      if (!/\d{3}/.test(text) && !/\d[\s.()-]+\d/.test(text)) return found;
      for (const match of findPhoneNumbersInText(text, { defaultCountry })) {
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
      return found;
    },
  };
}
