/** The publishing pipeline's parts the workers share (its stages run through @memstore/api/pipeline-stages). */
export { interactiveLoad, WORKER_APPLICATION } from "./interactive-load.ts";
