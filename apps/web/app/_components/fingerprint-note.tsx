/**
 * What a copy carries to trace a leak, and for text what it costs the buyer's agents: each invisible
 * mark is a token, measured on the latest version with a real tokenizer.
 */
export function FingerprintNote(props: {
  type: string;
  density: string;
  cost: { token_ratio: number; tokenizer: string } | null;
}) {
  if (props.type !== "plaintext")
    return <>Every copy carries your organisation&apos;s fingerprint in its data</>;
  if (props.density === "off") return <>Served text carries no invisible fingerprint marks</>;
  const extra = props.cost ? Math.round((props.cost.token_ratio - 1) * 100) : null;
  return (
    <>
      Served text carries your organisation&apos;s invisible fingerprint ({props.density})
      {extra !== null && (
        <>
          : about {extra} % more tokens for your agents ({props.cost!.tokenizer})
        </>
      )}
    </>
  );
}
