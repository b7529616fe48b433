import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createCube, submitNewVersion } from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import type { Subject } from "@memstore/core";
import { MemStoreClient } from "@memstore/sdk";
import { type HttpServer, startHttpServer } from "@memstore/web";
import { TINY_CONFIG, TINY_TOKENIZER_SHA256 } from "./binary-fixtures.ts";
import { openTestContext, type TestContext } from "./context.ts";

/**
 * A real runtime on Postgres with the HTTP server in this process (jobs run in-process, so
 * `t.runner.idle()` waits for the pipeline, fan-out and webhooks), plus a publisher ready to ship.
 */
export async function openHttpTestbed(
  env: Record<string, string> = {},
  options: Parameters<typeof openTestContext>[2] = {},
) {
  const t: TestContext = await openTestContext("postgres", env, options);
  const server: HttpServer = await startHttpServer(t.ctx, { port: 0, host: "127.0.0.1" });
  const made = await createOrganization(t.ctx, {
    name: "Harbour Experts",
    ownerEmail: "pub@harbour.example.com",
  });
  const publisher: Subject = await authenticateApiKey(t.ctx, made.api_key);

  /** Another organisation; returns its all-scopes API key. */
  const organization = async (name: string, email: string) =>
    (await createOrganization(t.ctx, { name, ownerEmail: email })).api_key;

  /** A JSON call to the REST API as `key`; the parsed body (problem or result) and the response. */
  async function api(method: string, path: string, key: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }

  /** A JSON call as `key` that must succeed (below 300); its body. */
  async function apiOk(key: string, method: string, path: string, body?: unknown) {
    const answer = await api(method, path, key, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Registers the tiny test decoder's config as a base model of `key`'s organisation; its id. */
  async function registerTinyModel(name = "memstore/tiny-llama", key = made.api_key): Promise<string> {
    const registered = await api("POST", "/api/v1/base-models", key, {
      name,
      config: TINY_CONFIG,
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    return expectStatus(registered, 201).body.id as string;
  }

  /** Creates, uploads, submits and waits: the version is ready (or rejected) on return. */
  async function publishVersion(
    cubeId: string,
    version: string,
    payload: string | Uint8Array,
    options: { contentType?: string; manifest?: Record<string, unknown> } = {},
  ) {
    await submitNewVersion(t.ctx, publisher, cubeId, {
      version,
      manifest: options.manifest ?? { changelog: `release ${version}` },
      payload,
      contentType: options.contentType ?? "text/markdown",
    });
    await t.runner.idle();
  }

  /** A cube with a first version and a published free listing. */
  async function listedCube(
    slug: string,
    markdown: string,
    extra: { description?: string; tags?: string[]; terms?: Record<string, unknown> } = {},
  ) {
    const cube = await createCube(t.ctx, publisher, {
      slug,
      type: "plaintext",
      title: slug,
      description: extra.description ?? "",
      tags: extra.tags ?? [],
    });
    await publishVersion(cube.id, "1.0.0", markdown);
    const listing = await createListing(t.ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: extra.terms ?? {},
    });
    await publishListing(t.ctx, publisher, listing.id);
    await t.runner.idle();
    return { cube, listing };
  }

  /** A plaintext cube with a processed 1.0.0 of JSONL memory items, and a draft listing for it. */
  async function submittedCube(slug: string, jsonl: string, manifest: Record<string, unknown> = {}) {
    const cube = await createCube(t.ctx, publisher, {
      slug,
      type: "plaintext",
      title: slug,
      description: "",
      tags: [],
    });
    await publishVersion(cube.id, "1.0.0", jsonl, { contentType: "application/x-ndjson", manifest });
    const listing = await createListing(t.ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
    });
    return { cube, listing };
  }

  /**
   * A binary cube (a KV snapshot as safetensors, a LoRA pack as tar) with 1.0.0 uploaded, submitted
   * and processed; the version as the API shows it, runs included.
   */
  async function publishedBinary(slug: string, type: "activation" | "parametric", payload: Uint8Array) {
    const cube = await createCube(t.ctx, publisher, { slug, type, title: slug, description: "", tags: [] });
    const contentType = type === "activation" ? "application/vnd.safetensors" : "application/x-tar";
    await publishVersion(cube.id, "1.0.0", payload, { contentType });
    const version = (await api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, made.api_key)).body;
    return { cube, version };
  }

  /** A free public listing of the cube, published. */
  async function freeListing(cubeId: string) {
    const listing = await createListing(t.ctx, publisher, {
      cube_id: cubeId,
      visibility: "public",
      pricing: { model: "free" },
    });
    await publishListing(t.ctx, publisher, listing.id);
    return listing;
  }

  /** A subscriber organisation with a vault holding the (published) listing, and a search of it. */
  async function subscriber(name: string, listingId: string) {
    const key = await organization(name, `owner@${name.toLowerCase().replace(/\W+/g, "-")}.example.com`);
    const vault = expectStatus(await api("POST", "/api/v1/vaults", key, { name: "main" }), 201).body as {
      id: string;
    };
    expectStatus(await api("POST", `/api/v1/store/listings/${listingId}/acquire`, key), 201);
    const install = expectStatus(
      await api("POST", `/api/v1/vaults/${vault.id}/installs`, key, { listing_id: listingId }),
      201,
    );
    const search = async (query: string, options: Record<string, unknown> = {}) =>
      expectStatus(
        await api("POST", `/api/v1/vaults/${vault.id}/search`, key, { query, top_k: 5, ...options }),
        200,
      ).body.results as Array<{ text: string; source: string; metadata: Record<string, unknown> }>;
    return { key, vault, installId: install.body.id as string, search };
  }

  return {
    t,
    server,
    publisher,
    /** The publisher's all-scope API key. */
    publisherKey: made.api_key,
    /** The SDK against this server, with a key (the publisher's by default). */
    client: (apiKey: string = made.api_key) => new MemStoreClient({ baseUrl: server.url, apiKey }),
    organization,
    api,
    apiOk,
    registerTinyModel,
    publishVersion,
    publishedBinary,
    freeListing,
    listedCube,
    submittedCube,
    subscriber,
    close: async () => {
      await server.close();
      await t.dispose();
    },
  };
}

/** The response, if its status is the one expected; else an error showing the body. */
function expectStatus<R extends { status: number; body: unknown }>(response: R, status: number): R {
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response;
}
