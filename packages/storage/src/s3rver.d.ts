/** s3rver ships no types; its use is typed where it is started (testing.ts). */
declare module "s3rver" {
  const S3rver: unknown;
  export default S3rver;
}
