import { signUp } from "@memstore/api/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPortalTestbed, type PortalTestbed, visible } from "./support/portal.ts";

/**
 * The portal as `npm start` serves it (listening on every address), browsed from the addresses a
 * person uses. The probe browsed it at 127.0.0.1: the dev server refused the page its scripts, the
 * sign-in form never hydrated, fell back to a GET and put the password in the URL.
 */
let bed: PortalTestbed;
let port: number;
const PASSWORD = "portal-hosts-secret";

beforeAll(async () => {
  bed = await openPortalTestbed({ host: "0.0.0.0", distDir: ".next-test-hosts" });
  port = bed.server.port;
  await signUp(bed.t.ctx, {
    name: "Host Tester",
    email: "hosts@example.com",
    password: PASSWORD,
    organization: "Hosts",
  });
}, 300_000);

afterAll(async () => {
  await bed?.close();
});

describe("the portal from any address of the machine", () => {
  it.each(["127.0.0.1", "localhost"])("signs in at http://%s and shows the store", async (host) => {
    const { page } = await bed.person();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await page.goto(`http://${host}:${port}/signin`);
    await page.getByLabel("Email").fill("hosts@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`http://${host}:${port}/store`);
    await visible(page.getByRole("heading", { name: "Store" }));
    expect(requested.filter((url) => url.includes(PASSWORD))).toEqual([]);
  });

  it("posts the password even where the page never runs its scripts", async () => {
    const context = await bed.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      page.setDefaultNavigationTimeout(180_000);
      const sent: Array<{ method: string; url: string }> = [];
      page.on("request", (r) => sent.push({ method: r.method(), url: r.url() }));
      for (const path of ["/signin", "/signup"]) {
        await page.goto(`http://127.0.0.1:${port}${path}`);
        expect(await page.locator("form").first().getAttribute("method")).toBe("post");
        await page.getByLabel("Password").fill(PASSWORD);
        // The submission's own navigation, finished before the next page is opened (a goto while
        // it is in flight aborts one of the two).
        const submitted = page.waitForEvent("framenavigated");
        await page
          .locator("form")
          .first()
          .evaluate((form: HTMLFormElement) => form.requestSubmit());
        await submitted;
        await page.waitForLoadState();
      }
      expect(sent.filter((r) => r.url.includes(PASSWORD))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("sends its pages with a content security policy and no framing", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/signin`);
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("form-action 'self'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(bed.pageErrors).toEqual([]);
  });
});
