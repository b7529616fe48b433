/** The publishing pipeline, as the workers run it: one stage of one version per job. */
export { runPipelineStage } from "./stages.ts";
export { interactiveLoad, WORKER_APPLICATION } from "./interactive-load.ts";
