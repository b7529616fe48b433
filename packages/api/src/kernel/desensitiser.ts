import { type CustomRecognizer, createDetector, Desensitiser, type PiiPolicy } from "@memstore/privacy";
import type { AppContext } from "./context.ts";
import { publisherKeys } from "./secrets.ts";

// The detectors without a publisher's recognisers are the same for every text: made once.
const BUILT_IN = createDetector();
const BESIDE_MODEL = createDetector({ peopleAndPlaces: [] });

/**
 * A desensitiser for one organisation's texts: the policy, the organisation's keys, the publisher's
 * own recognisers, and the PII model when one is configured (PII_MODEL_DIR), which then takes over
 * PERSON and LOCATION from the built-in heuristic.
 */
export function desensitiserFor(
  ctx: AppContext,
  orgId: string,
  policy: PiiPolicy,
  custom: CustomRecognizer[] = [],
): Desensitiser {
  const model = ctx.piiModel;
  const detector =
    custom.length > 0
      ? createDetector({ custom, ...(model ? { peopleAndPlaces: [] } : {}) })
      : model
        ? BESIDE_MODEL
        : BUILT_IN;
  return new Desensitiser({ detector, policy, keys: publisherKeys(ctx.keys, orgId), model });
}

/** What found people and places, for reports. */
export const peopleAndPlacesBy = (ctx: AppContext) => ctx.piiModel?.name ?? "heuristic";
