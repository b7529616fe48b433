import { loadConfig } from "@memstore/api";
import { runWorkerProcess } from "@memstore/workers";
import { Command } from "commander";

export function workerCommand(): Command {
  return new Command("worker")
    .description("BullMQ workers for the processing pipeline (services mode)")
    .action(async () => {
      await runWorkerProcess(loadConfig());
    });
}
