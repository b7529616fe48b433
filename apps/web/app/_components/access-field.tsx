import { Field } from "./field";

/** Who may get a listing: every buyer who sees it, or only those whose access request the publisher approved. */
export function AccessField({ error, current }: { error: string | undefined; current: string }) {
  return (
    <Field
      label="Access"
      error={error}
      hint="On request: buyers ask with a message and a purpose, and you approve (with a private offer, if you like) or deny."
    >
      {(a) => (
        <select {...a} name="access" defaultValue={current}>
          <option value="open">Open to every buyer</option>
          <option value="request">On request</option>
        </select>
      )}
    </Field>
  );
}
