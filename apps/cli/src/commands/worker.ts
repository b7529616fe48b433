import { loadConfig } from "@memstore/api";
import { runWorkerProcess } from "@memstore/workers";
import { Command } from "commander";

export function workerCommand(): Command {
  return new Command("worker")
    .description("BullMQ workers for the processing pipeline (services mode)")
    .option(
      "--gpu",
      "also take the validate-gpu queue: validation runs on CUDA (refuses to start without it)",
    )
    .action(async (options: { gpu?: boolean }) => {
      await runWorkerProcess(loadConfig(), { gpu: options.gpu ?? false });
    });
}
