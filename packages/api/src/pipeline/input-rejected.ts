import { AppError } from "@memstore/core";

/** What is wrong and where: a line or byte offset of a text, a tensor, a tar path or a config field. */
export type Rejection = { code: string; message: string } & Record<string, unknown>;

/** Bad input found by a stage: the version is rejected with this report, never retried. */
export class InputRejected extends Error {
  constructor(
    readonly rejection: Rejection,
    /** Figures for the stage's report besides the error (e.g. a desensitisation report). */
    readonly report: Record<string, unknown> = {},
  ) {
    super(rejection.message);
  }
}

/** Bad input (a 415 or 422 from the format readers) rejects the version; anything else is retried. */
export async function rejectingBadInput<T>(
  work: () => Promise<T>,
  report: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && (error.status === 415 || error.status === 422)) {
      throw new InputRejected({ code: error.code, message: error.message, ...error.extra }, report);
    }
    throw error;
  }
}
