"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Field } from "../../../../_components/field";
import { ErrorBox } from "../../../../_components/feedback";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardCube, WizardVersion } from "./wizard";

/**
 * A plaintext draft's evaluation set, optional: a .jsonl of questions the pipeline answers by search
 * over the version, and how far recall may fall before the version is held for the publisher.
 */
export function EvalSetField({ cube, version }: { cube: WizardCube; version: WizardVersion }) {
  const trpc = useTRPC();
  const attach = useMutation(trpc.publishing.attachEvalSet.mutationOptions());
  const [drop, setDrop] = useState("");
  if (cube.type !== "plaintext") return null;

  async function onFile(file: File | undefined) {
    if (!file) return;
    const points = drop.trim() === "" ? undefined : Number(drop) / 100;
    attach.mutate({
      cube_id: cube.id,
      version: version.version,
      ndjson: await file.text(),
      ...(points !== undefined && { max_recall_drop: points }),
    });
  }

  return (
    <fieldset className="stack">
      <legend>Measured quality (optional)</legend>
      <Field
        label="Hold if recall falls by more than (points)"
        hint="Compared with the version before, on the same questions. Empty: never hold."
      >
        {(a) => <input {...a} inputMode="numeric" value={drop} onChange={(e) => setDrop(e.target.value)} />}
      </Field>
      <Field
        label="Evaluation questions"
        hint='A .jsonl file, one {"question": "…", "expect": {"contains": "…"}} or {"expect": {"section": "…"}} per line (up to 500).'
      >
        {(a) => (
          <input
            {...a}
            type="file"
            accept=".jsonl,.ndjson"
            onChange={(e) => void onFile(e.target.files?.[0])}
          />
        )}
      </Field>
      <ErrorBox error={attach.error} />
      {attach.data && (
        <div className="alert ok" role="status">
          {attach.data.questions} questions attached: they are asked when the version is processed.
        </div>
      )}
    </fieldset>
  );
}
