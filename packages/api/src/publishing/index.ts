/** Publishing: cubes, their versions and payloads, listings, and cubes derived from others. */
export { createCube, getCube, listCubes } from "./cubes.ts";
export { deriveKvInput, deriveKvSnapshot, deriveKvVersion } from "./derive-kv.ts";
export { mergeLoraInput, mergeLoraPacks, reduceLoraRank, reduceRankInput } from "./derive-lora.ts";
export { changeListingStatus, type ListingTransition } from "./listing-status.ts";
export { createListing, listOwnListings, publishListing } from "./listings.ts";
export { preparePayloadUpload, uploadPayload, uploadTarget, type VersionRef } from "./payload-upload.ts";
export {
  createCubeInput,
  createListingInput,
  createVersionInput,
  pricingSchema,
  updateListingInput,
} from "./schemas.ts";
export { submitVersion } from "./submit.ts";
export { updateListing } from "./update-listing.ts";
export { createVersion, getVersion, listVersions } from "./versions.ts";
export { expireAbandonedDrafts } from "./draft-expiry.ts";
