export { createProcessors } from "./registry.ts";
export { runWorkerProcess } from "./run-worker-process.ts";
export { startWorkers } from "./start-workers.ts";
