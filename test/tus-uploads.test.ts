import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createCube, createVersion, getVersion, submitVersion } from "@memstore/api/catalog";
import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import { type HttpServer, startHttpServer } from "@memstore/web";
import * as tus from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";
import { createUpload, patchUpload, pickleStart } from "./support/tus.ts";

/** A Markdown handbook of about 900 KB with one sentence to search for at the very end. */
const HANDBOOK = Buffer.from(
  [
    "# Harbour operations handbook",
    ...Array.from(
      { length: 3000 },
      (_, i) =>
        `## Berth ${i}\nBerth ${i} takes vessels up to ${20 + (i % 60)} metres; moorings are inspected every ${1 + (i % 12)} months.\n`,
    ),
    "## Storm protocol\nWhen the anemometer reads force nine, every crane is lowered and locked.\n",
  ].join("\n"),
);

let t: TestContext;
let server: HttpServer;
let publisher: { subject: Subject; key: string };
let stranger: { subject: Subject; key: string };

async function org(name: string, email: string) {
  const made = await createOrganization(t.ctx, { name, ownerEmail: email });
  return { subject: await authenticateApiKey(t.ctx, made.api_key), key: made.api_key };
}

async function draftVersion(slug: string) {
  const cube = await createCube(t.ctx, publisher.subject, { slug, type: "plaintext", title: slug });
  const version = await createVersion(t.ctx, publisher.subject, cube.id, { version: "1.0.0" });
  return { cube, version };
}

async function offsetOf(url: string, key: string) {
  const head = await fetch(url, {
    method: "HEAD",
    headers: { authorization: `Bearer ${key}`, "tus-resumable": "1.0.0" },
  });
  return head.status === 200 ? Number(head.headers.get("upload-offset")) : head.status;
}

/** Sends part of the body as a PATCH, then drops the connection the way a flaky network does. */
async function patchThenDrop(url: string, key: string, part: Buffer) {
  await new Promise<void>((resolve) => {
    const req = httpRequest(url, {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${key}`,
        "tus-resumable": "1.0.0",
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream",
      },
    });
    req.on("error", () => resolve());
    req.write(part, () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  });
}

/** A whole Markdown payload through tus-js-client, created at a version's upload_url. */
function uploadMarkdown(endpoint: string, bytes: Buffer) {
  return new Promise<void>((resolve, reject) => {
    new tus.Upload(bytes, {
      endpoint,
      headers: { authorization: `Bearer ${publisher.key}` },
      metadata: { content_type: "text/markdown" },
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(),
    }).start();
  });
}

beforeAll(async () => {
  t = await openTestContext("postgres", { MAX_PLAINTEXT_BYTES: String(2 * 1024 * 1024) });
  server = await startHttpServer(t.ctx, { port: 0, host: "127.0.0.1" });
  publisher = await org("Harbour Experts", "owner@harbour.example.com");
  stranger = await org("Stranger Co", "owner@stranger.example.com");
});

afterAll(async () => {
  await server?.close();
  await t?.dispose();
});

describe("tus resumable uploads at a version's upload_url", () => {
  it("resumes an upload after a dropped connection and the payload goes on to be searchable", async () => {
    const { cube, version } = await draftVersion("harbour");
    const uploadUrl = version.upload_url.replace(t.ctx.config.publicUrl, server.url);
    expect(version.upload_url).toBe(`${t.ctx.config.publicUrl}/api/v1/uploads/${version.id}`);

    const created = await createUpload(uploadUrl, publisher.key, HANDBOOK.length);
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, server.url).href;
    expect(location).toContain(`/api/v1/uploads/${version.id}/${version.id}-`);

    // A third of the file goes out, then the connection drops.
    await patchThenDrop(location, publisher.key, HANDBOOK.subarray(0, Math.floor(HANDBOOK.length / 3)));
    await expect.poll(() => offsetOf(location, publisher.key)).toBeGreaterThan(0);
    const offsetAfterDrop = await offsetOf(location, publisher.key);
    expect(offsetAfterDrop).toBeLessThan(HANDBOOK.length);

    // The client resumes from the stored URL: it asks for the offset and sends only the rest.
    const patchOffsets: number[] = [];
    let finalBody = "";
    await new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(HANDBOOK, {
        uploadUrl: location,
        headers: { authorization: `Bearer ${publisher.key}` },
        chunkSize: 256 * 1024,
        retryDelays: [],
        onBeforeRequest: (req) => {
          if (req.getMethod() === "PATCH") patchOffsets.push(Number(req.getHeader("Upload-Offset")));
        },
        onError: reject,
        onSuccess: ({ lastResponse }) => {
          finalBody = lastResponse.getBody();
          resolve();
        },
      });
      upload.start();
    });
    expect(patchOffsets[0]).toBe(offsetAfterDrop);
    const digest = createHash("sha256").update(HANDBOOK).digest("hex");
    expect(JSON.parse(finalBody)).toEqual({ digest: `sha256:${digest}`, size: HANDBOOK.length });

    const stored = await getVersion(t.ctx, publisher.subject, cube.id, "1.0.0");
    expect(stored).toMatchObject({ digest: `sha256:${digest}`, size: HANDBOOK.length, status: "draft" });
    // The finished upload's scratch file is gone; only the blob store holds the payload.
    expect(
      readdirSync(join(t.ctx.config.dataDir, "uploads")).filter((f) => f.startsWith(version.id)),
    ).toEqual([]);

    await submitVersion(t.ctx, publisher.subject, cube.id, "1.0.0");
    await t.runner.idle();
    expect((await getVersion(t.ctx, publisher.subject, cube.id, "1.0.0")).status).toBe("ready");
    const [last] = await queryRows<{ text: string }>(
      t.ctx.db,
      sql`select text from chunks where version_id = ${version.id} and text like '%anemometer%'`,
    );
    expect(last?.text).toContain("force nine");
  });

  it("uploads in one go with tus-js-client from the version's upload_url", async () => {
    const { cube, version } = await draftVersion("harbour-small");
    const small = Buffer.from("# Tides\nSpring tides follow the full and the new moon.\n");
    await uploadMarkdown(version.upload_url.replace(t.ctx.config.publicUrl, server.url), small);
    const stored = await getVersion(t.ctx, publisher.subject, cube.id, "1.0.0");
    expect(stored.size).toBe(small.length);
    await submitVersion(t.ctx, publisher.subject, cube.id, "1.0.0");
    await t.runner.idle();
    expect((await getVersion(t.ctx, publisher.subject, cube.id, "1.0.0")).status).toBe("ready");
  });

  it("refuses bad uploads with problem+json before any byte is stored", async () => {
    const { version } = await draftVersion("harbour-refusals");
    const uploadUrl = version.upload_url.replace(t.ctx.config.publicUrl, server.url);
    const expectProblem = async (response: Response, status: number, code: string) => {
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(((await response.json()) as { code: string }).code).toBe(code);
    };
    await expectProblem(await createUpload(uploadUrl, "msk_not_a_key", 10), 401, "unauthenticated");
    await expectProblem(await createUpload(uploadUrl, stranger.key, 10), 404, "not_found");
    await expectProblem(
      await createUpload(uploadUrl, publisher.key, 10, "application/x-python-pickle"),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await createUpload(uploadUrl, publisher.key, 3 * 1024 * 1024),
      413,
      "payload_too_large",
    );
    const deferred = await fetch(uploadUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${publisher.key}`,
        "tus-resumable": "1.0.0",
        "upload-defer-length": "1",
      },
    });
    await expectProblem(deferred, 400, "invalid_input");

    // An upload belongs to its version's organisation, and its id is bound to that version.
    const created = await createUpload(uploadUrl, publisher.key, 100);
    const location = new URL(created.headers.get("location")!, server.url).href;
    expect(await offsetOf(location, publisher.key)).toBe(0);
    expect(await offsetOf(location, stranger.key)).toBe(404);
    const other = await draftVersion("harbour-other");
    expect(
      await offsetOf(
        location.replace(`/uploads/${version.id}/`, `/uploads/${other.version.id}/`),
        publisher.key,
      ),
    ).toBe(404);

    // Once submitted, a version takes no more uploads.
    const { cube: done, version: doneVersion } = await draftVersion("harbour-done");
    const doneUrl = doneVersion.upload_url.replace(t.ctx.config.publicUrl, server.url);
    await uploadMarkdown(doneUrl, Buffer.from("# Done\nNothing more to add.\n"));
    await submitVersion(t.ctx, publisher.subject, done.id, "1.0.0");
    await expectProblem(await createUpload(doneUrl, publisher.key, 5), 409, "version_not_draft");
  });

  it("refuses a pickle sent to a binary cube at its first PATCH, not after the whole file, and drops it", async () => {
    const cube = await createCube(t.ctx, publisher.subject, {
      slug: "pickled",
      type: "parametric",
      title: "p",
    });
    const version = await createVersion(t.ctx, publisher.subject, cube.id, { version: "1.0.0" });
    const uploadUrl = version.upload_url.replace(t.ctx.config.publicUrl, server.url);
    const total = 1024 * 1024;
    const created = await createUpload(uploadUrl, publisher.key, total, "application/x-tar");
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, server.url).href;
    // torch.save's pickle protocol 2 header, then the first 64 KB of a 1 MB upload.
    const patch = await patchUpload(location, publisher.key, pickleStart());
    expect(patch.status).toBe(415);
    const problem = (await patch.json()) as { code: string; detail: string };
    expect(problem.code).toBe("pickle_refused");
    expect(problem.detail).toMatch(/convert the weights to safetensors/);
    expect(await offsetOf(location, publisher.key)).toBe(404);
    expect(
      readdirSync(join(t.ctx.config.dataDir, "uploads")).filter((f) => f.startsWith(version.id)),
    ).toEqual([]);
    expect((await getVersion(t.ctx, publisher.subject, cube.id, "1.0.0")).digest).toBeNull();
  });
});
