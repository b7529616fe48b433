import { sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Poison payloads are rejected, never stuck. The probe: a JSONL line with `\u0000` in its text,
 * Markdown holding a NUL, and metadata nested 20,000 deep passed ingest, failed a later stage five
 * times and left the version `processing` with a run still `running`.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  // Retries a hundred times sooner than in production, so exhausting them takes a second.
  bed = await openHttpTestbed({}, { backoffScale: 0.01 });
});

afterAll(async () => {
  await bed?.close();
});

type Run = { kind: string; status: string; report: { error?: Record<string, unknown> } };

let slugs = 0;
/** Publishes `payload` as a new plaintext cube's 1.0.0 and waits for the pipeline; the version. */
async function published(payload: string | Buffer, contentType: string) {
  const key = bed.publisherKey;
  const slug = `poison-${++slugs}`;
  const cube = (await bed.api("POST", "/api/v1/cubes", key, { slug, type: "plaintext", title: slug })).body;
  await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, key, { version: "1.0.0" });
  const path = `/api/v1/cubes/${cube.id}/versions/1.0.0`;
  const put = await fetch(`${bed.server.url}${path}/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": contentType },
    body: new Uint8Array(Buffer.from(payload)),
  });
  expect(put.status).toBe(200);
  expect((await bed.api("POST", `${path}/submit`, key)).status).toBe(202);
  await bed.t.runner.idle();
  return (await bed.api("GET", path, key)).body as { id: string; status: string; runs: Run[] };
}

const failed = (version: { runs: Run[] }) => version.runs.find((r) => r.status === "failed");
const line = (item: unknown) => JSON.stringify(item);

describe("poison payloads", () => {
  it("rejects a JSONL text holding \\u0000 at ingest, naming the line", async () => {
    const payload = [line({ text: "fine" }), line({ text: "before\u0000after" })].join("\n");
    const version = await published(payload, "application/x-ndjson");
    expect(version.status).toBe("rejected");
    expect(failed(version)).toMatchObject({
      kind: "ingest",
      report: {
        error: {
          code: "invalid_jsonl",
          line: 2,
          message: "line 2: text: holds a NUL character at position 6",
        },
      },
    });
    expect(version.runs.some((r) => r.status === "running")).toBe(false);
  });

  it("rejects metadata nested 20,000 deep at ingest, naming the line", async () => {
    const deep = `{"text":"deep","metadata":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`;
    const version = await published(
      [line({ text: "fine" }), line({ text: "also fine" }), deep].join("\n"),
      "application/x-ndjson",
    );
    expect(version.status).toBe("rejected");
    expect(failed(version)?.report.error).toMatchObject({
      code: "invalid_jsonl",
      line: 3,
      message: /nests deeper than 64/,
    });
  });

  it("rejects Markdown holding a NUL at ingest, naming the line and byte", async () => {
    const version = await published("# Title\n\nSome text.\nA NUL \u0000 here.\n", "text/markdown");
    expect(version.status).toBe("rejected");
    expect(failed(version)).toMatchObject({
      kind: "ingest",
      report: { error: { code: "invalid_text", line: 4, byte_offset: 26 } },
    });
  });

  it("stores a rejection whose message quotes a raw NUL", async () => {
    // JSON.parse's complaint quotes the NUL it met: the report keeps it as U+FFFD.
    const version = await published(Buffer.from([0x61, 0x00, 0x62, 0x0a]), "application/x-ndjson");
    expect(version.status).toBe("rejected");
    expect(failed(version)?.report.error).toMatchObject({ code: "invalid_jsonl", line: 1 });
    expect(JSON.stringify(failed(version))).not.toContain("\\u0000");
  });

  it("rejects a version whose stage exhausts its retries, with the last error", async () => {
    // Storage that refuses every chunk of this payload: `embed`, which stores the chunks, fails on
    // each of its 5 attempts.
    await bed.t.ctx.db.execute(sql`
      create function refuse_chunks() returns trigger language plpgsql as $$
      begin
        if new.text like '%refused here%' then raise exception 'could not extend file: No space left on device'; end if;
        return new;
      end $$;
      create trigger refuse_chunks before insert on chunks for each row execute function refuse_chunks();`);
    try {
      const version = await published(line({ text: "This text is refused here." }), "application/x-ndjson");
      expect(version.status).toBe("rejected");
      expect(failed(version)).toMatchObject({
        kind: "embed",
        report: {
          error: {
            code: "stage_failed",
            attempts: 5,
            message: expect.stringMatching(
              /^embed failed 5 times; the last error: .*No space left on device/,
            ),
          },
        },
      });
      expect(version.runs.some((r) => r.status === "running")).toBe(false);
    } finally {
      await bed.t.ctx.db.execute(sql`drop trigger refuse_chunks on chunks; drop function refuse_chunks();`);
    }
  });
});
