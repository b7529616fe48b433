/** The store: published listings, searched and read by every tenant, and acquired for an entitlement. */
export { acquire, acquireListing } from "./acquire-listing.ts";
export { getStoreListing, searchListings, type StoreCard, storeQuery } from "./store-listings.ts";
export {
  decideAccessRequest,
  listIncomingRequests,
  listOwnRequests,
  requestAccess,
} from "./access-requests.ts";
export { accessRequestInput, decideAccessInput, ownRequestsQuery, tryListingInput } from "./schemas.ts";
export { PREVIEW_QUESTIONS_PER_DAY, tryListing } from "./try-listing.ts";
