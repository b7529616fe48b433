/** Whether signed-in buyers may try a plaintext listing first: a few questions a day, answered with snippets. */
export function PreviewField({ current }: { current: boolean }) {
  return (
    <label className="row small">
      <input type="checkbox" name="preview" defaultChecked={current} />
      Let signed-in buyers try it first (20 questions a day, answered with short, fingerprinted snippets)
    </label>
  );
}
