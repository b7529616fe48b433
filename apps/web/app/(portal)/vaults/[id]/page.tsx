import { VaultDetail } from "./vault-detail";

/** Another organisation's vault never gets here: the server answers 404 first (src/portal/page-guards.ts). */
export default async function VaultPage({ params }: { params: Promise<{ id: string }> }) {
  return <VaultDetail id={(await params).id} />;
}
