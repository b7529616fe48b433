/** The catalog: a publisher's cubes, their versions and payloads, and submitting a version to the pipeline. */
export { createCube, getCube, listCubes } from "./cubes.ts";
export { expireAbandonedDrafts } from "./draft-expiry.ts";
export { preparePayloadUpload, uploadPayload, uploadTarget, type VersionRef } from "./payload-upload.ts";
export { createCubeInput, createVersionInput, yankVersionInput } from "./schemas.ts";
export { type NewVersion, type PayloadSource, publishCube, submitNewVersion } from "./publish-cube.ts";
export { submitVersion } from "./submit.ts";
export { createVersion, getVersion, listVersions } from "./versions.ts";
