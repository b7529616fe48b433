/** tus requests as a client sends them, for the upload tests on either storage driver. */
const base64 = (s: string) => Buffer.from(s).toString("base64");

/** `POST` at a version's upload_url: creates an upload of `length` bytes. */
export function createUpload(
  uploadUrl: string,
  key: string,
  length: number,
  contentType = "text/markdown",
  filename = "handbook.md",
) {
  return fetch(uploadUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "tus-resumable": "1.0.0",
      "upload-length": String(length),
      "upload-metadata": `content_type ${base64(contentType)},filename ${base64(filename)}`,
    },
  });
}

/** One `PATCH` of `body` at `offset`. */
export function patchUpload(location: string, key: string, body: Uint8Array, offset = 0) {
  return fetch(location, {
    method: "PATCH",
    headers: {
      authorization: `Bearer ${key}`,
      "tus-resumable": "1.0.0",
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
    },
    body: new Uint8Array(body),
  });
}

/** The first 64 KB of a `torch.save` file: pickle protocol 2's header, then zeros. */
export function pickleStart(): Buffer {
  const first = Buffer.alloc(64 * 1024);
  Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]).copy(first);
  return first;
}
