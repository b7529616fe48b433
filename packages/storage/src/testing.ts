import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { S3Location } from "./s3-blob-store.ts";

type KoaContext = {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  type: string;
  body: unknown;
};
type S3rverInstance = {
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

export type S3TestServer = {
  /** `s3://bucket/prefix?endpoint=…` for STORAGE_URL. */
  url: string;
  location: S3Location;
  close(): Promise<void>;
};

/**
 * A real S3-protocol server for tests: s3rver on a loopback port, with a bucket, storing under a
 * temporary directory. s3rver 3.7 lacks ListParts and AbortMultipartUpload, which resumable (tus)
 * uploads need; they are added here over s3rver's own record of an upload's parts.
 */
export async function startS3Server(bucket = "memstore-test", prefix = "blobs"): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), "memstore-s3-"));
  const server = new (S3rver as new (options: object) => S3rverInstance)({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  server.middleware.unshift(multipartExtras(server));
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const location: S3Location = {
    bucket,
    prefix: `${prefix}/`,
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  return {
    url: `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}`,
    location,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const xml = (value: string | number) => String(value).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** `GET /bucket/key?uploadId=…` (ListParts) and `DELETE /bucket/key?uploadId=…` (AbortMultipartUpload). */
function multipartExtras(server: S3rverInstance) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const uploadId = ctx.query.uploadId;
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!uploadId || !match || (ctx.method !== "GET" && ctx.method !== "DELETE")) return next();
    const [, bucket, key] = match;
    const dir = join(
      server.store.getResourcePath(bucket!, undefined, "uploads"),
      uploadId.replace(/[^\w]/g, ""),
    );
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    if (!exists) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xml(uploadId)}</UploadId></Error>`;
      return;
    }
    if (ctx.method === "DELETE") {
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    const numbers = (await readdir(dir)).filter((name) => /^\d+$/.test(name)).map(Number);
    const parts = await Promise.all(
      numbers
        .sort((a, b) => a - b)
        .map(async (n) => {
          const [size, md5] = await Promise.all([
            stat(join(dir, String(n))).then((s) => s.size),
            readFile(join(dir, `${n}.md5`), "utf8").catch(() => ""),
          ]);
          return `<Part><PartNumber>${n}</PartNumber><ETag>"${xml(md5)}"</ETag><Size>${size}</Size></Part>`;
        }),
    );
    ctx.status = 200;
    ctx.type = "application/xml";
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>${xml(bucket!)}</Bucket><Key>${xml(key!)}</Key><UploadId>${xml(uploadId)}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`;
  };
}
