import { type Config, loadConfig, openRuntime, type Runtime } from "@memstore/api";
import { BullMqProducer, createProcessors, InProcessRunner } from "@memstore/workers";

/**
 * Opens the runtime the way a command needs it: with BullMQ when REDIS_URL is set, else with the
 * in-process runner wired to the same processors the workers run.
 */
export async function openCommandRuntime(
  options: { migrate?: boolean; config?: Config; quiet?: boolean } = {},
): Promise<Runtime> {
  const config = options.config ?? loadConfig();
  const log = options.quiet ? () => {} : (line: string) => console.log(line);
  if (config.REDIS_URL)
    return openRuntime(config, new BullMqProducer(config.REDIS_URL, config.QUEUE_PREFIX), {
      log,
      migrate: options.migrate,
    });
  const runner = new InProcessRunner(log);
  const runtime = await openRuntime(config, runner, { log, migrate: options.migrate });
  runner.register(createProcessors(runtime));
  return runtime;
}
