"use client";
import { CUBE_TYPE_DEFINITIONS } from "@memstore/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { ErrorBox, StatusBadge } from "../../../../_components/feedback";
import { RunReport } from "../../../../_components/run-report";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardCube, WizardVersion } from "./wizard";

/** Step 4: the version submitted, and its type's pipeline stages as they run, each with its report. */
export function ProcessingStep(props: { cube: WizardCube; version: WizardVersion; onDone: () => void }) {
  const trpc = useTRPC();
  const ref = { cube_id: props.cube.id, version: props.version.version };
  const submit = useMutation(trpc.publishing.submitVersion.mutationOptions());
  const submitted = useRef(false);
  useEffect(() => {
    if (submitted.current) return;
    submitted.current = true;
    submit.mutate(ref);
  });
  const version = useQuery({
    ...trpc.publishing.version.queryOptions(ref),
    enabled: submit.isSuccess,
    // Live status: poll while the pipeline runs.
    refetchInterval: (q) => (q.state.data && q.state.data.status !== "processing" ? false : 700),
  });
  const v = version.data;
  return (
    <div className="stack">
      <h2 style={{ marginTop: 0 }}>
        Processing v{props.version.version} {v && <StatusBadge status={v.status} />}
      </h2>
      <ErrorBox error={submit.error ?? version.error} />
      <div>
        {CUBE_TYPE_DEFINITIONS[props.cube.type].stages.map((s) => {
          const run = v?.runs.filter((r) => r.kind === s.stage).at(-1);
          const status = run ? (run.status === "succeeded" ? "done" : run.status) : "waiting";
          return (
            <div key={s.stage} className="stage" data-testid={`stage-${s.stage}`} data-status={status}>
              <span>{s.label}</span>
              <span className="row">
                <StatusBadge status={status} />
              </span>
              {run?.status === "failed" && <RunReport report={run.report} />}
              {/* What the run on the base model showed (or why it was skipped). */}
              {run?.status === "succeeded" && s.stage === "validate" && <RunReport report={run.report.run} />}
            </div>
          );
        })}
      </div>
      {v?.status === "rejected" && (
        <div className="alert error" role="alert">
          This version was rejected. The report above says which line, byte or tensor was wrong; fix the file
          and publish a new version.
        </div>
      )}
      {v?.status === "ready" && (
        <div className="row">
          <button className="btn primary" type="button" onClick={props.onDone}>
            Continue to listing
          </button>
        </div>
      )}
    </div>
  );
}
