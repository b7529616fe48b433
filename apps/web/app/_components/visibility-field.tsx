import { Field } from "./field";

/** Who sees a listing in the store: one select, the same in the publish wizard and on the cube page. */
export function VisibilityField({ error, current }: { error: string | undefined; current: string }) {
  return (
    <Field label="Visibility" error={error}>
      {(a) => (
        <select {...a} name="visibility" defaultValue={current}>
          <option value="public">Public</option>
          <option value="unlisted">Unlisted</option>
          <option value="org">Organisation only</option>
          <option value="private">Private</option>
        </select>
      )}
    </Field>
  );
}
