import { digestOf } from "@memstore/watermark/signing";

/**
 * Whether a downloaded payload is the one a (verified) manifest names: its SHA-256 digest and size.
 * `which` picks the payload the manifest describes (`desensitised` for a plaintext cube's published text).
 */
export async function verifyPayload(
  manifest: Record<string, unknown>,
  body: AsyncIterable<Uint8Array>,
  which: "source" | "desensitised" = "source",
): Promise<boolean> {
  const payload = (manifest.payload ?? {}) as Record<string, unknown>;
  const expected = (which === "source" ? payload : payload.desensitised) as
    { digest?: unknown; size?: unknown } | undefined;
  if (typeof expected?.digest !== "string") return false;
  const actual = await digestOf(body);
  return actual.digest === expected.digest && actual.size === expected.size;
}

export { canonicalJson, type PublicKeyDocument } from "@memstore/watermark/signing";
