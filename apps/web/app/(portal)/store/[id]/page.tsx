import { ListingDetail } from "./listing-detail";

/** A listing the visitor may not see never gets here: the server answers 404 first (src/portal/page-guards.ts). */
export default async function ListingPage({ params }: { params: Promise<{ id: string }> }) {
  return <ListingDetail id={(await params).id} />;
}
