"use client";
import { acceptedExtensions, CUBE_TYPE_DEFINITIONS, fileKindOf, isPickleFileName } from "@memstore/core";
import { useEffect, useRef, useState } from "react";
import * as tus from "tus-js-client";
import { Field } from "../../../../_components/field";
import { formatBytes } from "../../../../_components/feedback";
import { EvalSetField } from "./eval-set-field";
import type { WizardCube, WizardVersion } from "./wizard";

/** Small enough that a dropped connection loses little, large enough to keep requests few. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Step 3: the payload, checked against the type's files (a pickle refused here as on the server) and
 * sent with tus: a progress bar, and a dropped connection resumes from the last byte stored.
 */
export function UploadStep({
  cube,
  version,
  onDone,
}: {
  cube: WizardCube;
  version: WizardVersion;
  onDone: () => void;
}) {
  const kind = CUBE_TYPE_DEFINITIONS[cube.type];
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState(0);
  const [state, setState] = useState<"idle" | "uploading" | "retrying" | "done" | "failed">("idle");
  const [error, setError] = useState<string | null>(null);
  const upload = useRef<tus.Upload | null>(null);
  useEffect(() => () => void upload.current?.abort(), []);

  async function start() {
    if (!file) return;
    if (isPickleFileName(file.name)) {
      return setError(
        `${file.name} is a pickle, which runs code when loaded; MemStore refuses it. Convert the weights to safetensors (safetensors.torch.save_file) and upload that.`,
      );
    }
    const contentType = fileKindOf(file.name, cube.type)?.mediaType;
    if (!contentType) return setError(`Choose a file of this type: ${kind.files}`);
    setError(null);
    setState("uploading");
    const u = new tus.Upload(file, {
      endpoint: `/api/v1/uploads/${version.id}`,
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata: { filename: file.name, content_type: contentType },
      onProgress: (bytes) => {
        setSent(bytes);
        setState("uploading");
      },
      onShouldRetry: () => {
        setState("retrying");
        return true;
      },
      onError: (e) => {
        setState("failed");
        const body = (e as tus.DetailedError).originalResponse?.getBody();
        setError(problemDetail(body) ?? "The upload failed. Check your connection and try again.");
      },
      onSuccess: () => {
        setSent(file.size);
        setState("done");
      },
    });
    // An upload of this file begun earlier (a closed tab, a lost connection) continues where it stopped.
    const previous = await u.findPreviousUploads();
    if (previous[0]) u.resumeFromPreviousUpload(previous[0]);
    upload.current = u;
    u.start();
  }

  const percent = file && file.size > 0 ? Math.floor((sent / file.size) * 100) : 0;
  return (
    <div className="stack">
      <h2 style={{ marginTop: 0 }}>Upload v{version.version}</h2>
      <Field label="Payload file" hint={kind.files}>
        {(a) => (
          <input
            {...a}
            type="file"
            accept={acceptedExtensions(cube.type)}
            disabled={state === "uploading" || state === "retrying" || state === "done"}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      {file && (
        <div className="stack">
          <div className="spread small">
            <span>
              {file.name} · {formatBytes(file.size)}
            </span>
            <span data-testid="upload-percent">{percent}%</span>
          </div>
          <div
            className="progress"
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <div style={{ width: `${percent}%` }} />
          </div>
          <p className="small muted" aria-live="polite" style={{ margin: 0 }}>
            {state === "retrying" && "Connection lost — resuming from the last byte the server has…"}
            {state === "uploading" && "Uploading…"}
            {state === "done" && "Uploaded and stored."}
          </p>
        </div>
      )}
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <EvalSetField cube={cube} version={version} />
      <div className="row">
        {state !== "done" ? (
          <button
            className="btn primary"
            type="button"
            onClick={() => void start()}
            disabled={!file || state === "uploading" || state === "retrying"}
          >
            {state === "failed" ? "Retry upload" : "Upload"}
          </button>
        ) : (
          <button className="btn primary" type="button" onClick={onDone}>
            Submit for processing
          </button>
        )}
      </div>
    </div>
  );
}

function problemDetail(body: string | undefined): string | null {
  try {
    return (JSON.parse(body ?? "") as { detail?: string }).detail ?? null;
  } catch {
    return null;
  }
}
