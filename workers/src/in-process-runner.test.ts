import { describe, expect, it } from "vitest";
import { PermanentJobError } from "./define-job.ts";
import { InProcessRunner } from "./in-process-runner.ts";
import type { ProcessorRegistry } from "./registry.ts";

function registry(ingest: ProcessorRegistry["ingest"]): ProcessorRegistry {
  const none = async () => {};
  return {
    ingest,
    desensitise: none,
    convert: none,
    embed: none,
    evaluate: none,
    validate: none,
    "validate-gpu": none,
    "derive-kv": none,
    "payment-event": none,
    fingerprint: none,
    sign: none,
    fanout: none,
    "deliver-webhook": none,
    retention: none,
  };
}

describe("InProcessRunner", () => {
  it("retries a failing job with backoff until it succeeds", async () => {
    const runner = new InProcessRunner();
    const attempts: number[] = [];
    runner.register(
      registry(async (_payload, { attempt }) => {
        attempts.push(attempt);
        if (attempt < 2) throw new Error("database unavailable");
      }),
    );
    await runner.enqueue("ingest", { versionId: "ver_1" });
    await runner.idle();
    expect(attempts).toEqual([1, 2]);
  });

  it("does not retry a permanent failure", async () => {
    const runner = new InProcessRunner();
    let calls = 0;
    runner.register(
      registry(async () => {
        calls++;
        throw new PermanentJobError("bad input");
      }),
    );
    await runner.enqueue("ingest", { versionId: "ver_2" });
    await runner.idle();
    expect(calls).toBe(1);
  });

  it("closes while a job waits for its retry, dropping the retry", async () => {
    const runner = new InProcessRunner();
    let calls = 0;
    runner.register(
      registry(async () => {
        calls++;
        throw new Error("connection refused");
      }),
    );
    await runner.enqueue("ingest", { versionId: "ver_3" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(1);
    // Resolves at once: the retry (seconds away) is not waited for.
    await runner.close();
    expect(calls).toBe(1);
  });

  it("runs one job per id while it is pending and validates the payload", async () => {
    const runner = new InProcessRunner();
    let calls = 0;
    runner.register(registry(async () => void calls++));
    await Promise.all([
      runner.enqueue("ingest", { versionId: "v" }),
      runner.enqueue("ingest", { versionId: "v" }),
    ]);
    await runner.idle();
    expect(calls).toBe(1);
    await expect(runner.enqueue("ingest", { versionId: "" })).rejects.toThrow();
  });
});
