import { Field } from "./field";

/**
 * How densely a plaintext listing's served text carries each subscriber's invisible fingerprint: one
 * select, the same in the publish wizard and on the cube page. Every mark costs an agent a token; the
 * listing page shows buyers the measured cost.
 */
export function MarksField({ error, current = "light" }: { error: string | undefined; current?: string }) {
  return (
    <Field
      label="Fingerprint marks"
      error={error}
      hint="Invisible marks name the subscriber a leaked copy came from. Each costs an agent one token; the listing page shows buyers the measured cost."
    >
      {(a) => (
        <select {...a} name="marks" defaultValue={current}>
          <option value="light">Light — one word in eight; a 1,000-character excerpt names the copy</option>
          <option value="dense">Dense — every word; a 200-character excerpt names the copy</option>
          <option value="off">Off — no marks (canary facts, if on, still trace a paraphrase)</option>
        </select>
      )}
    </Field>
  );
}
