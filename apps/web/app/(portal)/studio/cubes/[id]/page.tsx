import { CubeDetail } from "./cube-detail";

/** Another organisation's cube never gets here: the server answers 404 first (src/portal/page-guards.ts). */
export default async function CubePage({ params }: { params: Promise<{ id: string }> }) {
  return <CubeDetail id={(await params).id} />;
}
