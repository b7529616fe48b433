export { BullMqProducer, QUEUE_PREFIX } from "./bullmq-producer.ts";
export { InProcessRunner } from "./in-process-runner.ts";
export { createProcessors } from "./registry.ts";
export { runWorkerProcess } from "./run-worker-process.ts";
export { startWorkers } from "./start-workers.ts";
