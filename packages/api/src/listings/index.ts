/** Listings: how a publisher offers a cube in the store (price, terms, visibility, status) and private offers. */
export { changeListingStatus, type ListingTransition } from "./listing-status.ts";
export { createListing, listOwnListings, publishListing } from "./listings.ts";
export { createOffer, offerInput } from "./offers.ts";
export { createListingInput, updateListingInput } from "./schemas.ts";
export { updateListing } from "./update-listing.ts";
