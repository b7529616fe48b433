import {
  canaryForChunk,
  canaryKey,
  embedFingerprint,
  fingerprintCode,
  withCanary,
} from "@memstore/watermark";
import type { MarkDensity } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";

/** How installed text is marked for one organisation: its fingerprint code per version, canary keys per install. */
export type Marking = { fingerprint(versionId: string): number; canaryKey(installId: string): Buffer };

export function markingFor(ctx: AppContext, orgId: string): Marking {
  const codes = new Map<string, number>();
  const keys = new Map<string, Buffer>();
  return {
    fingerprint: (versionId) => {
      let code = codes.get(versionId);
      if (code === undefined)
        codes.set(versionId, (code = fingerprintCode(ctx.keys.secret, orgId, versionId)));
      return code;
    },
    canaryKey: (installId) => {
      let key = keys.get(installId);
      if (key === undefined) keys.set(installId, (key = canaryKey(ctx.keys.secret, installId)));
      return key;
    },
  };
}

/**
 * An installed chunk as this install receives it: with its canary, if the listing serves them, then
 * marked at the listing's density.
 */
export function servedText(
  hit: {
    id: string;
    text: string;
    canaries: boolean;
    marks: MarkDensity;
    install_id: string | null;
    version_id: string | null;
  },
  marking: Marking,
): string {
  const canary = hit.canaries ? canaryForChunk(marking.canaryKey(hit.install_id!), hit.id) : null;
  const text = canary ? withCanary(hit.text, canary) : hit.text;
  return embedFingerprint(text, marking.fingerprint(hit.version_id!), hit.marks);
}
