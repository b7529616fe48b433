/** The store: published listings, searched and read by every tenant, and acquired for an entitlement. */
export { acquire, acquireListing } from "./acquire-listing.ts";
export { getStoreListing, type StoreCard } from "./store-listings.ts";
export { searchListings, storeQuery } from "./store-search.ts";
export {
  decideAccessRequest,
  listIncomingRequests,
  listOwnRequests,
  requestAccess,
} from "./access-requests.ts";
export {
  accessRequestInput,
  decideAccessInput,
  ownRequestsQuery,
  replyInput,
  reportInput,
  reviewInput,
  tryListingInput,
} from "./schemas.ts";
export { PREVIEW_QUESTIONS_PER_DAY, tryListing } from "./try-listing.ts";
export {
  listReviews,
  replyToReview,
  reportReview,
  REVIEW_AFTER_CALLS,
  REVIEW_AFTER_DAYS,
  writeReview,
} from "./reviews.ts";
export { publisherPage } from "./publishers.ts";
