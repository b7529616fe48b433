/** A plaintext version's measured quality: its questions attached, answered by search, and a held version released. */
export { attachEvalSet, parseEvalSet } from "./evaluation-set.ts";
export { releaseVersion } from "./release.ts";
export { evalSetQuery } from "./schemas.ts";
