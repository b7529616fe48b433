import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { S3BlobStore } from "@memstore/storage/s3";
import { startS3Server, type S3TestServer } from "@memstore/storage/testing";
import * as tus from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loraPack } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { createUpload, patchUpload, pickleStart } from "./support/tus.ts";

/**
 * Services mode with S3 storage, end to end over HTTP: payloads arrive by tus (parts kept as S3
 * multipart uploads, so any app process can take the next PATCH), blobs live in the bucket, a
 * subscriber downloads its copy through the API or from a presigned link straight off the bucket.
 */
let s3: S3TestServer;
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  s3 = await startS3Server();
  bed = await openHttpTestbed({
    STORAGE_URL: s3.url,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    MAX_PLAINTEXT_BYTES: String(16 * 1024 * 1024),
  });
  await bed.registerTinyModel();
});

afterAll(async () => {
  await bed?.close();
  await s3?.close();
});

const bucketKeys = async () => {
  const store = bed.t.ctx.blobs as S3BlobStore;
  const listed = await store.client.send(new ListObjectsV2Command({ Bucket: s3.location.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
};

/** A whole payload through tus-js-client at a version's upload_url; the final response's body. */
function tusUpload(
  endpointOrUrl: { endpoint?: string; uploadUrl?: string },
  bytes: Buffer,
  contentType: string,
) {
  const offsets: number[] = [];
  return new Promise<{ body: string; offsets: number[] }>((resolve, reject) => {
    new tus.Upload(bytes, {
      ...endpointOrUrl,
      headers: { authorization: `Bearer ${bed.publisherKey}` },
      metadata: { content_type: contentType },
      chunkSize: 6 * 1024 * 1024,
      retryDelays: [],
      onBeforeRequest: (req) => {
        if (req.getMethod() === "PATCH") offsets.push(Number(req.getHeader("Upload-Offset")));
      },
      onError: reject,
      onSuccess: ({ lastResponse }) => resolve({ body: lastResponse.getBody(), offsets }),
    }).start();
  });
}

const uploadUrlOf = (version: { upload_url: string }) =>
  version.upload_url.replace(bed.t.ctx.config.publicUrl, bed.server.url);

/** A cube with a 1.0.0 draft, made over HTTP. */
async function draft(slug: string, type: "plaintext" | "parametric") {
  const cube = (await bed.api("POST", "/api/v1/cubes", bed.publisherKey, { slug, type, title: slug }))
    .body as {
    id: string;
  };
  const version = (
    await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, bed.publisherKey, { version: "1.0.0" })
  ).body as { id: string; upload_url: string };
  return { cube, version };
}

describe("S3 storage", () => {
  it("publishes a LoRA pack uploaded by tus, installs it and serves the copy by the API and by a presigned link", async () => {
    const pack = await loraPack();
    const { cube, version } = await draft("s3-lora", "parametric");
    const { body } = await tusUpload({ endpoint: uploadUrlOf(version) }, pack, "application/x-tar");
    const digest = `sha256:${createHash("sha256").update(pack).digest("hex")}`;
    expect(JSON.parse(body)).toEqual({ digest, size: pack.length });
    expect(
      (await bed.api("POST", `/api/v1/cubes/${cube.id}/versions/1.0.0/submit`, bed.publisherKey)).status,
    ).toBe(202);
    await bed.t.runner.idle();
    const ready = await bed.api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, bed.publisherKey);
    expect(ready.body.status).toBe("ready");

    const listing = await bed.freeListing(cube.id);
    const subscriber = await bed.subscriber("Quayside", listing.id);
    const payload = `${bed.server.url}/api/v1/vaults/${subscriber.vault.id}/installs/${subscriber.installId}/payload`;
    const auth = { authorization: `Bearer ${subscriber.key}` };
    const whole = await fetch(payload, { headers: auth });
    expect(whole.status).toBe(200);
    const copy = Buffer.from(await whole.arrayBuffer());
    expect(copy.length).toBe(Number(whole.headers.get("content-length")));
    const part = await fetch(payload, { headers: { ...auth, range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(copy.subarray(100, 200))).toBe(true);

    // The link is made as a download (judged and counted now) and names this organisation's copy.
    const made = await bed.api(
      "POST",
      `/api/v1/vaults/${subscriber.vault.id}/installs/${subscriber.installId}/payload-link`,
      subscriber.key,
      {},
    );
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      served_by: "storage",
      size: copy.length,
      filename: "s3-lora-1.0.0.tar",
    });
    expect(new URL(made.body.url).origin).toBe(s3.location.endpoint);
    expect(Date.parse(made.body.expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    const direct = await fetch(made.body.url);
    expect(direct.status).toBe(200);
    expect(direct.headers.get("content-disposition")).toBe('attachment; filename="s3-lora-1.0.0.tar"');
    expect(Buffer.from(await direct.arrayBuffer()).equals(copy)).toBe(true);

    // Every byte is in the bucket under the prefix: nothing temporary is left, nothing on local disk.
    const keys = await bucketKeys();
    expect(keys).toContain(`blobs/sha256/${digest.slice(7, 9)}/${digest.slice(9, 11)}/${digest.slice(7)}`);
    expect(keys).toContain(`blobs/${made.body.digest.replace(/^sha256:(..)(..)/, "sha256/$1/$2/$1$2")}`);
    expect(keys.filter((k) => !k.startsWith("blobs/sha256/"))).toEqual([]);
    expect(existsSync(join(bed.t.ctx.config.dataDir, "blobs"))).toBe(false);
    expect(existsSync(join(bed.t.ctx.config.dataDir, "uploads"))).toBe(false);
  });

  it("resumes a multi-part upload after a dropped connection, its parts held by the bucket", async () => {
    const { version } = await draft("s3-handbook", "plaintext");
    // 13 MiB of Markdown: two full parts and a last one.
    const line = (i: number) =>
      `Berth ${i} takes vessels up to ${20 + (i % 60)} metres. ${randomBytes(24).toString("hex")}\n`;
    const lines: string[] = ["# Harbour handbook\n"];
    for (let i = 0, size = 0; size < 13 * 2 ** 20; i++) {
      lines.push(line(i));
      size += lines.at(-1)!.length;
    }
    const markdown = Buffer.from(lines.join(""));
    const created = await createUpload(uploadUrlOf(version), bed.publisherKey, markdown.length);
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, bed.server.url).href;

    // 9 MiB go out, then the connection drops: one full part is in, the rest waits as `.part`.
    await new Promise<void>((resolve) => {
      const req = httpRequest(location, {
        method: "PATCH",
        headers: {
          authorization: `Bearer ${bed.publisherKey}`,
          "tus-resumable": "1.0.0",
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
        },
      });
      req.on("error", () => resolve());
      req.write(markdown.subarray(0, 9 * 2 ** 20), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 500),
      );
    });
    const offsetOf = async () => {
      const head = await fetch(location, {
        method: "HEAD",
        headers: { authorization: `Bearer ${bed.publisherKey}`, "tus-resumable": "1.0.0" },
      });
      return Number(head.headers.get("upload-offset"));
    };
    await expect.poll(offsetOf, { timeout: 10_000 }).toBeGreaterThanOrEqual(8 * 2 ** 20);
    const offset = await offsetOf();
    const uploadId = location.split("/").pop()!;
    expect(await bucketKeys()).toContain(`${uploadId}.info`);

    const { body, offsets } = await tusUpload({ uploadUrl: location }, markdown, "text/markdown");
    expect(offsets[0]).toBe(offset);
    const digest = `sha256:${createHash("sha256").update(markdown).digest("hex")}`;
    expect(JSON.parse(body)).toEqual({ digest, size: markdown.length });
    // The finished upload is gone from the bucket; the payload is a blob.
    expect((await bucketKeys()).filter((k) => k.startsWith(uploadId))).toEqual([]);
    expect(await bed.t.ctx.blobs.stat(digest)).toEqual({ digest, size: markdown.length });
    expect(existsSync(join(bed.t.ctx.config.dataDir, "uploads"))).toBe(false);
  });

  it("refuses a pickle at the first PATCH and drops its upload from the bucket", async () => {
    const { version } = await draft("s3-pickled", "parametric");
    const created = await createUpload(
      uploadUrlOf(version),
      bed.publisherKey,
      1024 * 1024,
      "application/x-tar",
    );
    const location = new URL(created.headers.get("location")!, bed.server.url).href;
    const patch = await patchUpload(location, bed.publisherKey, pickleStart());
    expect(patch.status).toBe(415);
    expect(((await patch.json()) as { code: string }).code).toBe("pickle_refused");
    expect((await bucketKeys()).filter((k) => k.startsWith(version.id))).toEqual([]);
  });
});
