export * from "./bullmq.ts";
export * from "./definitions.ts";
export * from "./in-process-runner.ts";
export * from "./producer.ts";
