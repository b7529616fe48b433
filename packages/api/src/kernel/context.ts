import type { Database, Db } from "@memstore/db";
import type { Embedder } from "@memstore/inference";
import type { BatchRecognizer } from "@memstore/privacy";
import type { JobProducer } from "@memstore/queue";
import type { BlobStore } from "@memstore/storage";
import type { Config } from "./env.ts";
import type { HeatTally } from "./heat-tally.ts";
import type { PlatformKeys } from "./secrets.ts";

/** What every service function receives: the parts of the running system, never the request. */
export type AppContext = {
  config: Config;
  database: Database;
  db: Db;
  blobs: BlobStore;
  jobs: JobProducer;
  embedder: Embedder;
  /** The PERSON/LOCATION model desensitisation runs, when PII_MODEL_DIR names one. */
  piiModel: BatchRecognizer | null;
  keys: PlatformKeys;
  /** Search hits per memory and installed section, written in batches (see HeatTally). */
  heat: HeatTally;
  log: (line: string) => void;
};
