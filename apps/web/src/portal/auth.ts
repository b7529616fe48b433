import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AppContext, persistedFile } from "@memstore/api";
import { LoginThrottle, verifyCredentials } from "@memstore/api/identity";
import nextAuthModule, { type AuthOptions } from "next-auth";
import { getToken } from "next-auth/jwt";
import credentialsModule from "next-auth/providers/credentials";

/** next-auth ships CommonJS; under Node's ESM loader its default export arrives one level down. */
const interop = <T>(m: T): T => (m as { default?: T }).default ?? m;
const NextAuth = interop(nextAuthModule);
const Credentials = interop(credentialsModule);

// The auth origin comes from the request's Host, so one server answers on any address it is
// reached by (localhost, a LAN name, a test's random port) without a NEXTAUTH_URL per address.
process.env.AUTH_TRUST_HOST ??= "true";

export type PortalAuth = {
  /** Serves next-auth's routes under /api/auth/* (sign-in, sign-out, session, CSRF token). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /**
   * Who is calling: the signed-in user's id from the session cookie (null when signed out) and
   * the organisation the switcher chose (null: the user's first).
   */
  sessionOf(cookieHeader: string | null | undefined): Promise<PortalSession>;
};

export type PortalSession = { userId: string | null; orgId: string | null };

/** The cookie the organisation switcher sets: which of the user's organisations pages act in. */
export const ORG_COOKIE = "memstore_org";

export function createPortalAuth(ctx: AppContext): PortalAuth {
  const secret =
    ctx.config.AUTH_SECRET ??
    persistedFile(ctx.config.dataDir, "auth-secret", () => randomBytes(32).toString("base64url"));
  const secure = ctx.config.publicUrl.startsWith("https://");
  const options = authOptions(ctx, secret, secure);
  return {
    async handle(req, res, url) {
      const { nextReq, nextRes } = await asNextApiRoute(req, res, url, secure);
      await NextAuth(nextReq as never, nextRes as never, options);
    },
    async sessionOf(cookieHeader) {
      const cookie = cookieHeader ?? "";
      const cookies = parseCookies(cookie);
      const token = await getToken({
        req: { headers: { cookie }, cookies } as never,
        secret,
        secureCookie: secure,
      });
      return {
        userId: typeof token?.sub === "string" ? token.sub : null,
        orgId: cookies[ORG_COOKIE] ?? null,
      };
    },
  };
}

/** Sign-in by email and password, throttled per email after failures; JWT sessions for a week. */
function authOptions(ctx: AppContext, secret: string, secure: boolean): AuthOptions {
  const throttle = new LoginThrottle();
  return {
    secret,
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
    useSecureCookies: secure,
    pages: { signIn: "/signin", error: "/signin" },
    providers: [
      Credentials({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials) {
          const email = credentials?.email?.trim().toLowerCase() ?? "";
          const wait = throttle.waitMs(email);
          if (wait > 0) {
            throw new Error(`Too many failed sign-in attempts. Try again in ${Math.ceil(wait / 1000)} s.`);
          }
          const user = await verifyCredentials(ctx, email, credentials?.password ?? "");
          if (!user) {
            throttle.failed(email);
            return null;
          }
          throttle.succeeded(email);
          return { id: user.id, email: user.email, name: user.name };
        },
      }),
    ],
  };
}

/** A Node request and response as the small part of Next's API route that next-auth's handler uses. */
async function asNextApiRoute(req: IncomingMessage, res: ServerResponse, url: URL, secure: boolean) {
  const body =
    req.method === "POST" ? Object.fromEntries(new URLSearchParams(await readText(req))) : undefined;
  const segments = url.pathname
    .replace(/^\/api\/auth\/?/, "")
    .split("/")
    .filter(Boolean);
  const nextReq = {
    method: req.method,
    headers: {
      ...req.headers,
      "x-forwarded-proto": req.headers["x-forwarded-proto"] ?? (secure ? "https" : "http"),
    },
    cookies: parseCookies(req.headers.cookie),
    query: { ...Object.fromEntries(url.searchParams), nextauth: segments },
    body,
  };
  const nextRes = Object.assign(res, {
    status(code: number) {
      res.statusCode = code;
      return nextRes;
    },
    json(value: unknown) {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(value));
    },
    send(value: unknown) {
      if (typeof value === "object" && value !== null) return nextRes.json(value);
      res.end(value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value));
    },
  });
  return { nextReq, nextRes };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** next-auth's form posts are small; anything over 64 KiB is not a sign-in. */
async function readText(req: IncomingMessage): Promise<string> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("auth request body too large");
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}
