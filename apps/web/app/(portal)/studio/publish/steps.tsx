"use client";
import { createCubeInput, createListingInput, createVersionInput } from "@memstore/api/schemas";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useEffect, useRef, useState } from "react";
import * as tus from "tus-js-client";
import { Field } from "../../../_components/field";
import { ErrorBox, formatBytes, StatusBadge } from "../../../_components/feedback";
import { RunReport } from "../../../_components/run-report";
import { formValues, splitTags, useSchemaForm } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";

export type CubeType = "plaintext" | "activation" | "parametric";
export type WizardCube = { id: string; slug: string; title: string; type: CubeType };

/** What each type of cube is uploaded as, and what its pipeline does with it. */
const TYPES: Record<
  CubeType,
  {
    label: string;
    hint: string;
    files: string;
    accept: string;
    media: Record<string, string>;
    stages: Array<{ kind: string; label: string }>;
  }
> = {
  plaintext: {
    label: "Plaintext knowledge",
    hint: "Markdown, plain text or JSONL memory items; desensitised, chunked and embedded on submit.",
    files: "Markdown (.md), text (.txt) or JSONL memory items (.jsonl).",
    accept: ".md,.markdown,.txt,.jsonl,.ndjson",
    media: {
      md: "text/markdown",
      markdown: "text/markdown",
      txt: "text/plain",
      jsonl: "application/jsonl",
      ndjson: "application/x-ndjson",
    },
    stages: [
      { kind: "ingest", label: "Ingest: validate the text" },
      { kind: "desensitise", label: "Desensitise: find and handle personal data" },
      { kind: "convert", label: "Convert: chunk" },
      { kind: "embed", label: "Embed: vectors for search" },
      { kind: "sign", label: "Sign: the platform signs the manifest" },
    ],
  },
  activation: {
    label: "KV-cache snapshot (activation memory)",
    hint: "A safetensors file of past_key_values for a registered base model; checked and run on the model.",
    files: "A KV snapshot (.safetensors) made for a base model in the registry.",
    accept: ".safetensors",
    media: { safetensors: "application/vnd.safetensors" },
    stages: [
      { kind: "ingest", label: "Ingest: check the safetensors file and its prefix hashes" },
      { kind: "convert", label: "Convert: canonical layout and an int8 variant" },
      { kind: "validate", label: "Validate: against the base model, and a run on it" },
      { kind: "sign", label: "Sign: the platform signs the manifest" },
    ],
  },
  parametric: {
    label: "LoRA adapter pack (parametric memory)",
    hint: "A PEFT LoRA adapter (adapter_config.json and adapter_model.safetensors) as a .tar.",
    files: "A .tar of a PEFT adapter directory: adapter_config.json and adapter_model.safetensors.",
    accept: ".tar",
    media: { tar: "application/x-tar" },
    stages: [
      { kind: "ingest", label: "Ingest: unpack and check the adapter" },
      { kind: "convert", label: "Convert: canonical weights, f16 and bf16" },
      { kind: "validate", label: "Validate: against the base model, and a run on it" },
      { kind: "sign", label: "Sign: the platform signs the manifest" },
    ],
  },
};

/** Pickled weights run code when loaded: refused here as the server refuses them. */
const PICKLE = /\.(bin|pt|pth|pkl|pickle|ckpt)$/i;
export type WizardVersion = {
  id: string;
  version: string;
  visibility: string;
  license: Record<string, unknown>;
};

const slugify = (s: string) =>
  s
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

export function CubeStep({ onDone }: { onDone: (cube: WizardCube) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createCube.mutationOptions());
  const { errors, submit } = useSchemaForm(createCubeInput);
  const [slug, setSlug] = useState("");
  const [type, setType] = useState<CubeType>("plaintext");
  const [slugTouched, setSlugTouched] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const values = {
      type: v.type,
      slug: v.slug,
      title: v.title,
      description: v.description || undefined,
      tags: splitTags(v.tags),
    };
    const cube = await submit(values, (value) => create.mutateAsync(value));
    if (cube) onDone({ id: cube.id, slug: cube.slug, title: cube.title, type: cube.type });
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <h2 style={{ marginTop: 0 }}>What are you publishing?</h2>
      <Field label="Type" hint={TYPES[type].hint}>
        {(a) => (
          <select {...a} name="type" value={type} onChange={(e) => setType(e.target.value as CubeType)}>
            {(Object.keys(TYPES) as CubeType[]).map((t) => (
              <option key={t} value={t}>
                {TYPES[t].label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Title" error={errors.title}>
        {(a) => (
          <input
            {...a}
            name="title"
            onChange={(e) => {
              if (!slugTouched) setSlug(slugify(e.target.value));
            }}
          />
        )}
      </Field>
      <Field
        label="Slug"
        error={errors.slug}
        hint="Lowercase letters, digits and dashes; part of the cube's address."
      >
        {(a) => (
          <input
            {...a}
            name="slug"
            value={slug}
            onChange={(e) => {
              setSlugTouched(true);
              setSlug(e.target.value);
            }}
          />
        )}
      </Field>
      <Field label="Description" error={errors.description} hint="Markdown. Shown on the listing page.">
        {(a) => <textarea {...a} name="description" />}
      </Field>
      <Field label="Tags" error={errors.tags} hint="Comma separated, e.g. tax, law, germany.">
        {(a) => <input {...a} name="tags" />}
      </Field>
      <ErrorBox error={create.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create cube"}
        </button>
      </div>
    </form>
  );
}

export function ManifestStep({ cube, onDone }: { cube: WizardCube; onDone: (v: WizardVersion) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createVersion.mutationOptions());
  const { errors, submit } = useSchemaForm(createVersionInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const num = (s: string | undefined) => (s ? Number(s) : undefined);
    const input = {
      version: v.version,
      manifest: {
        changelog: v.changelog || undefined,
        governance: {
          visibility: v.visibility,
          purposes: splitTags(v.purposes),
          ttl_days: num(v.ttl_days),
          license: {
            calls_per_day: num(v.calls_per_day),
            valid_days: num(v.valid_days),
            redistribution: v.redistribution === "on",
          },
        },
        descriptive: {
          language: v.language || undefined,
          semantic_type: v.semantic_type || undefined,
          source: v.source || undefined,
        },
      },
    };
    const done = await submit(input, async (value) => {
      const created = await create.mutateAsync({ cube_id: cube.id, ...value });
      return { created, governance: value.manifest?.governance };
    });
    if (!done) return;
    onDone({
      id: done.created.id,
      version: done.created.version,
      visibility: done.governance?.visibility ?? "public",
      license: (done.governance?.license ?? {}) as Record<string, unknown>,
    });
  }

  const e = (path: string) => errors[path];
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <h2 style={{ marginTop: 0 }}>Version and governance</h2>
      <Field label="Version" error={e("version")} hint="Semantic version, e.g. 1.0.0.">
        {(a) => <input {...a} name="version" defaultValue="1.0.0" />}
      </Field>
      <Field label="Changelog" error={e("manifest.changelog")}>
        {(a) => (
          <textarea {...a} name="changelog" placeholder="What is in this version" style={{ minHeight: 70 }} />
        )}
      </Field>
      <fieldset className="stack">
        <legend>Governance</legend>
        <Field label="Visibility" error={e("manifest.governance.visibility")}>
          {(a) => (
            <select {...a} name="visibility" defaultValue="public">
              <option value="public">Public — listed in the store</option>
              <option value="unlisted">Unlisted — only with the link</option>
              <option value="org">Organisation — your members only</option>
              <option value="private">Private</option>
            </select>
          )}
        </Field>
        <Field
          label="Allowed purposes"
          error={e("manifest.governance.purposes")}
          hint="Comma separated, e.g. research, support."
        >
          {(a) => <input {...a} name="purposes" />}
        </Field>
        <Field
          label="Memory TTL (days)"
          error={e("manifest.governance.ttl_days")}
          hint="Leave empty for no expiry."
        >
          {(a) => <input {...a} name="ttl_days" inputMode="numeric" />}
        </Field>
        <Field label="Agent calls per day" error={e("manifest.governance.license.calls_per_day")}>
          {(a) => <input {...a} name="calls_per_day" inputMode="numeric" />}
        </Field>
        <Field label="License validity (days)" error={e("manifest.governance.license.valid_days")}>
          {(a) => <input {...a} name="valid_days" inputMode="numeric" />}
        </Field>
        <label className="row">
          <input type="checkbox" name="redistribution" /> Subscribers may redistribute
        </label>
      </fieldset>
      <fieldset className="stack">
        <legend>Description</legend>
        <Field label="Language" error={e("manifest.descriptive.language")} hint="e.g. en, de.">
          {(a) => <input {...a} name="language" />}
        </Field>
        <Field
          label="Semantic type"
          error={e("manifest.descriptive.semantic_type")}
          hint="e.g. handbook, faq, policy."
        >
          {(a) => <input {...a} name="semantic_type" />}
        </Field>
        <Field label="Source" error={e("manifest.descriptive.source")}>
          {(a) => <input {...a} name="source" />}
        </Field>
      </fieldset>
      <ErrorBox error={create.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending}>
          {create.isPending ? "Saving…" : "Continue to upload"}
        </button>
      </div>
    </form>
  );
}

/** Small enough that a dropped connection loses little, large enough to keep requests few. */
const CHUNK_BYTES = 1024 * 1024;

export function UploadStep({
  cube,
  version,
  onDone,
}: {
  cube: WizardCube;
  version: WizardVersion;
  onDone: () => void;
}) {
  const kind = TYPES[cube.type];
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState(0);
  const [state, setState] = useState<"idle" | "uploading" | "retrying" | "done" | "failed">("idle");
  const [error, setError] = useState<string | null>(null);
  const upload = useRef<tus.Upload | null>(null);
  useEffect(() => () => void upload.current?.abort(), []);

  async function start() {
    if (!file) return;
    const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
    if (PICKLE.test(file.name)) {
      return setError(
        `${file.name} is a pickle, which runs code when loaded; MemStore refuses it. Convert the weights to safetensors (safetensors.torch.save_file) and upload that.`,
      );
    }
    const contentType = kind.media[ext];
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
            accept={kind.accept}
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
        {TYPES[props.cube.type].stages.map((s) => {
          const run = v?.runs.filter((r) => r.kind === s.kind).at(-1);
          const status = run ? (run.status === "succeeded" ? "done" : run.status) : "waiting";
          return (
            <div key={s.kind} className="stage" data-testid={`stage-${s.kind}`} data-status={status}>
              <span>{s.label}</span>
              <span className="row">
                <StatusBadge status={status} />
              </span>
              {run?.status === "failed" && <RunReport report={run.report} />}
              {/* What the run on the base model showed (or why it was skipped). */}
              {run?.status === "succeeded" && s.kind === "validate" && (
                <RunReport report={(run.report as { run?: unknown }).run} />
              )}
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

export function ListingStep({ cube, version }: { cube: WizardCube; version: WizardVersion }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createListing.mutationOptions());
  const publish = useMutation(trpc.publishing.publishListing.mutationOptions());
  const { errors, submit } = useSchemaForm(createListingInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const values = {
      cube_id: cube.id,
      visibility: v.visibility,
      pricing:
        v.pricing === "free"
          ? { model: "free" }
          : {
              model: v.pricing,
              amount_cents: Math.round(Number(v.amount) * 100),
              currency: v.currency || "eur",
            },
      terms: version.license,
      canaries: v.canaries === "on",
    };
    await submit(values, async (value) => {
      const listing = await create.mutateAsync(value);
      return publish.mutateAsync({ id: listing.id });
    });
  }

  if (publish.data) {
    return (
      <div className="stack">
        <div className="alert ok" role="status">
          Listed. {cube.title} is in the store.
        </div>
        <div className="row">
          <Link className="btn primary" href={`/store/${publish.data.id}`}>
            View the listing
          </Link>
          <Link className="btn" href="/studio">
            Back to the studio
          </Link>
        </div>
      </div>
    );
  }
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <h2 style={{ marginTop: 0 }}>List it in the store</h2>
      <Field label="Visibility" error={errors.visibility}>
        {(a) => (
          <select {...a} name="visibility" defaultValue={version.visibility}>
            <option value="public">Public</option>
            <option value="unlisted">Unlisted</option>
            <option value="org">Organisation only</option>
            <option value="private">Private</option>
          </select>
        )}
      </Field>
      <Field label="Price" error={errors.pricing ?? errors["pricing.model"]}>
        {(a) => (
          <select {...a} name="pricing" defaultValue="free">
            <option value="free">Free</option>
            <option value="one_time">One-time purchase</option>
            <option value="subscription">Subscription</option>
          </select>
        )}
      </Field>
      <Field label="Amount (for paid listings)" error={errors["pricing.amount_cents"]}>
        {(a) => <input {...a} name="amount" inputMode="decimal" placeholder="e.g. 49.00" />}
      </Field>
      <Field label="Currency" error={errors["pricing.currency"]}>
        {(a) => <input {...a} name="currency" placeholder="eur" />}
      </Field>
      <label className="check small">
        <input type="checkbox" name="canaries" />
        <span>
          <strong>Canary facts</strong> — serve each subscriber a few invented facts of its own, so a copy
          that went through a model&apos;s paraphrase can still be traced to it. Subscribers see that the
          listing carries them.
        </span>
      </label>
      <ErrorBox error={create.error ?? publish.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending || publish.isPending}>
          {create.isPending || publish.isPending ? "Listing…" : "Create and publish listing"}
        </button>
      </div>
    </form>
  );
}
