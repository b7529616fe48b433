import type { CSSProperties } from "react";

/** A filter bar's control: a label only screen readers read, and the control named by it. */
type Control = { id: string; name: string; label: string; width: CSSProperties["flex"] };

/** A text filter: its words, kept in the form's `name`. */
export function FilterInput({
  id,
  name,
  label,
  width,
  value,
  placeholder,
}: Control & { value?: string; placeholder: string }) {
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <input id={id} name={name} defaultValue={value} placeholder={placeholder} style={{ flex: width }} />
    </>
  );
}

/** A choice filter: `options` as [value, text], the empty value first. */
export function FilterSelect({
  id,
  name,
  label,
  width,
  value,
  options,
}: Control & { value: string; options: ReadonlyArray<readonly [string, string]> }) {
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <select id={id} name={name} defaultValue={value} style={{ flex: width }}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </>
  );
}
