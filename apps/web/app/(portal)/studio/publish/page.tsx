"use client";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { Loading } from "../../../_components/feedback";
import { useTRPC } from "../../../_lib/trpc";
import { CubeStep } from "./_steps/cube-step";
import { ListingStep } from "./_steps/listing-step";
import { ManifestStep } from "./_steps/manifest-step";
import { ProcessingStep } from "./_steps/processing-step";
import { UploadStep } from "./_steps/upload-step";
import type { WizardCube, WizardVersion } from "./_steps/wizard";

const STEPS = ["Cube", "Manifest", "Upload", "Processing", "Listing"] as const;

function Wizard() {
  const trpc = useTRPC();
  const existing = useSearchParams().get("cube");
  const cubeQuery = useQuery({
    ...trpc.publishing.cube.queryOptions({ cube_id: existing ?? "" }),
    enabled: Boolean(existing),
  });
  const [cube, setCube] = useState<WizardCube | null>(null);
  const [version, setVersion] = useState<WizardVersion | null>(null);
  const [step, setStep] = useState(0);
  const activeCube =
    cube ??
    (cubeQuery.data
      ? {
          id: cubeQuery.data.id,
          slug: cubeQuery.data.slug,
          title: cubeQuery.data.title,
          type: cubeQuery.data.type,
        }
      : null);
  const current = existing && step === 0 && activeCube ? 1 : step;
  if (existing && !activeCube) return <Loading what="the cube" />;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Publish a cube</h1>
          <p>
            {activeCube
              ? `${activeCube.title} (${activeCube.slug})`
              : "Five steps from a document, a KV snapshot or a LoRA pack to a listing in the store."}
          </p>
        </div>
      </div>
      <ol className="steps" aria-label="Progress">
        {STEPS.map((s, i) => (
          <li
            key={s}
            aria-current={i === current ? "step" : undefined}
            className={i < current ? "done" : undefined}
          >
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <div className="card" style={{ maxWidth: 760 }}>
        {current === 0 && (
          <CubeStep
            onDone={(c) => {
              setCube(c);
              setStep(1);
            }}
          />
        )}
        {current === 1 && activeCube && (
          <ManifestStep
            cube={activeCube}
            onDone={(v) => {
              setVersion(v);
              setStep(2);
            }}
          />
        )}
        {current === 2 && activeCube && version && (
          <UploadStep cube={activeCube} version={version} onDone={() => setStep(3)} />
        )}
        {current === 3 && activeCube && version && (
          <ProcessingStep cube={activeCube} version={version} onDone={() => setStep(4)} />
        )}
        {current === 4 && activeCube && version && <ListingStep cube={activeCube} version={version} />}
      </div>
    </>
  );
}

export default function PublishPage() {
  return (
    <Suspense>
      <Wizard />
    </Suspense>
  );
}
