import { type S3BlobStore, s3ClientConfig } from "@memstore/storage/s3";
import { S3Store } from "@tus/s3-store";

/**
 * Uploads in progress as S3 multipart uploads in the blob store's bucket, so any app process can
 * take the next PATCH. Loaded only with the S3 driver (it brings the AWS SDK).
 */
export function s3UploadStore(blobs: S3BlobStore, expiryMs: number) {
  const { location } = blobs;
  return new FinishedS3Store({
    partSize: 8 * 1024 * 1024,
    // Expiry by listing multipart uploads; a bucket lifecycle rule (AbortIncompleteMultipartUpload)
    // is the backstop for uploads abandoned mid-part.
    useTags: false,
    expirationPeriodInMilliseconds: expiryMs,
    s3ClientConfig: { bucket: location.bucket, ...s3ClientConfig(location) },
  });
}

/**
 * tus's S3 store removes an upload by aborting its multipart upload, which a finished upload no
 * longer has (S3 answers NoSuchUpload): then its object, its info and any incomplete part are
 * deleted here, once the payload has been copied into the blob store.
 */
export class FinishedS3Store extends S3Store {
  override async remove(id: string): Promise<void> {
    try {
      await super.remove(id);
    } catch (error) {
      if ((error as { status_code?: number }).status_code !== 404) throw error;
      await this.client.deleteObjects({
        Bucket: this.bucket,
        Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }] },
      });
    }
  }
}
