import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { startHttpServer, type HttpServer } from "@memstore/web";
import { openTestContext, type TestContext } from "./context.ts";

/** Debian's Chromium; `.ci/run` installs it. Nothing is downloaded by the test tooling. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = new URL("../artifacts/portal/", import.meta.url);
/** The README's screenshots, taken by these tests (see docScreenshot). */
const DOC_IMAGES = new URL("../../docs/images/", import.meta.url);

export type PortalTestbed = {
  t: TestContext;
  server: HttpServer;
  browser: Browser;
  /** Errors pages logged or threw (React warnings, failed hydration, uncaught exceptions). */
  pageErrors: string[];
  /** A fresh browser profile (its own cookies), as a second person on another machine. */
  person(): Promise<{ context: BrowserContext; page: Page }>;
  screenshot(page: Page, name: string): Promise<void>;
  /**
   * The screen as the README shows it (the window, not the whole page): with `UPDATE_DOC_IMAGES=1`
   * written to `docs/images/<name>.png`, to be committed; always to the artifacts.
   */
  docScreenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
};

/**
 * The product as `npm start` runs it: embedded database, in-process jobs, the portal's pages
 * compiled by Next.js in dev mode, on a free port; driven by a real Chromium.
 */
export async function openPortalTestbed(
  options: {
    /** Where the server listens: `0.0.0.0` as `npm start` does, or one address. */
    host?: string;
    /** Next's build folder; test files that run at once each need their own. */
    distDir?: string;
    /** Configuration added to the runtime's (a payment provider, say). */
    env?: Record<string, string>;
  } = {},
): Promise<PortalTestbed> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
  process.env.MEMSTORE_NEXT_DIST_DIR = options.distDir ?? ".next-test";
  const t = await openTestContext("pglite", options.env ?? {});
  const server = await startHttpServer(t.ctx, {
    port: 0,
    host: options.host ?? "127.0.0.1",
    portal: "dev",
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-dev-shm-usage",
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    t,
    server,
    browser,
    pageErrors,
    async person() {
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1280, height: 900 },
      });
      context.on("page", (page) => {
        page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
        page.on("console", (message) => {
          // Refused calls (401 before sign-in, the 403/404 a test provokes) log as failed resources.
          if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
            pageErrors.push(`${page.url()}: ${message.text()}`);
          }
        });
      });
      // Pages compile on first visit in dev mode; give them time on a slow CI machine.
      context.setDefaultNavigationTimeout(180_000);
      context.setDefaultTimeout(60_000);
      contexts.push(context);
      return { context, page: await context.newPage() };
    },
    async screenshot(page, name) {
      await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
    },
    async docScreenshot(page, name) {
      await page.screenshot({ path: new URL(`doc-${name}.png`, ARTIFACTS).pathname });
      if (process.env.UPDATE_DOC_IMAGES === "1")
        await page.screenshot({ path: new URL(`${name}.png`, DOC_IMAGES).pathname });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await server.close();
      await t.dispose();
    },
  };
}

/** Waits until the locator's first match is visible (Playwright's auto-waiting; fails on timeout). */
export const visible = (locator: Locator) => locator.first().waitFor({ state: "visible" });

/** How long `expect.poll` waits for the page to reach a state (pipeline runs, uploads). */
export const POLL = { timeout: 120_000, interval: 250 };
