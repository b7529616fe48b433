/**
 * Stripe's request bodies are form-encoded with bracketed keys (`metadata[listing_id]=…`,
 * `line_items[0][price]=…`), as the SDK writes them. Decoded into nested objects; a key whose
 * segments are all indexes becomes an array.
 */
export type FormValue = string | FormObject | FormValue[];
export type FormObject = { [key: string]: FormValue };

export function decodeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split("[").map((part, i) => (i === 0 ? part : part.replace(/\]$/, "")));
    let node: FormObject = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next !== "object" || next === null || Array.isArray(next)) node[segment] = {};
      node = node[segment] as FormObject;
    });
  }
  return arrays(root) as FormObject;
}

/** Objects whose keys are 0..n-1 become arrays, all the way down. */
function arrays(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const entries = keys.map((k) => [k, arrays(value[k]!)] as const);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
