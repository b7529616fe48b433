import { PublisherDetail } from "./publisher-detail";

/** An organisation that lists nothing has no page: the server answers 404 first (src/portal/page-guards.ts). */
export default async function PublisherPage({ params }: { params: Promise<{ slug: string }> }) {
  return <PublisherDetail slug={(await params).slug} />;
}
