import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { AppError, jsonDeeperThan, jsonValueProblem, MAX_JSON_DEPTH } from "@memstore/core";

/** The largest JSON request body read into memory; payloads stream through their own route. */
export const MAX_JSON_BYTES = 1024 * 1024;

/**
 * A request's JSON body (an empty body is `{}`): 415 for another media type, 400 when it does not
 * parse, nests too deep, or holds a string that cannot be stored (a NUL, a lone surrogate).
 */
export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  // No body at all (no type, nothing declared or sent): the empty object, for the schema to judge.
  if (!type && (request.body === null || request.headers.get("content-length") === "0")) return {};
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "send the request body as application/json");
  }
  const text = await readBoundedText(request, MAX_JSON_BYTES);
  if (jsonDeeperThan(text)) {
    throw new AppError("invalid_json", `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_json", `the request body is not valid JSON: ${(error as Error).message}`);
  }
  assertStorable(value);
  return value;
}

/** 400 naming the field of a value that holds what cannot be stored (see @memstore/core json-input). */
export function assertStorable(value: unknown): void {
  const problem = jsonValueProblem(value);
  if (problem) {
    throw new AppError("invalid_input", `${problem.path || "the body"} ${problem.message}`, {
      errors: [problem],
    });
  }
}

/** A request body as UTF-8 text, refused (413) past `maxBytes` without reading further. */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new AppError("payload_too_large", `request bodies here are limited to ${maxBytes} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge();
  const parts: Uint8Array[] = [];
  let size = 0;
  // The web stream read as it is (no Node stream around it); undici's streams are async iterable.
  for await (const part of (request.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    size += part.length;
    if (size > maxBytes) throw tooLarge();
    parts.push(part);
  }
  return new TextDecoder("utf-8").decode(Buffer.concat(parts));
}

/** A request body as a Node stream, for handlers that stream it on (payload uploads); 400 when there is none. */
export function bodyStream(request: Request, options: { allowEmpty?: boolean } = {}): Readable {
  if (!request.body) {
    if (options.allowEmpty) return Readable.from([]);
    throw new AppError("invalid_input", "the request has no body");
  }
  // Undici's web stream and Node's are the same at run time; their declarations differ.
  return Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
}

/** The body's declared Content-Length, when it has a valid one. */
export function declaredLength(request: Request): number | undefined {
  const header = request.headers.get("content-length");
  return header !== null && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
