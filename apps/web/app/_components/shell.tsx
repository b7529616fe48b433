"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, type ReactNode, useEffect } from "react";
import { statusOf } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { Loading } from "./feedback";

const NAV = [
  { href: "/store", label: "Store" },
  { href: "/studio", label: "Studio" },
  { href: "/vaults", label: "Vaults" },
  { href: "/keys", label: "API keys" },
  { href: "/usage", label: "Usage" },
  { href: "/sales", label: "Sales" },
  { href: "/billing", label: "Billing" },
  { href: "/audit", label: "Audit log" },
  { href: "/members", label: "Members" },
];

/** True inside the frame a signed-out visitor browses the store in: pages offer "Sign in" instead of actions. */
export const VisitorContext = createContext(false);

/** The store is open to everyone: signed-out visitors browse it, and sign in to buy. */
const isPublic = (pathname: string) => pathname === "/store" || pathname.startsWith("/store/");

/**
 * The signed-in frame: navigation, organisation switcher, role, sign-out. Signed-out visitors go to
 * sign-in, except in the store, which they browse in a frame of its own. A banner says when
 * payments are test payments.
 */
export function Shell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions());
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const signedOut = me.error !== null && statusOf(me.error) === 401;

  useEffect(() => {
    if (signedOut && !isPublic(pathname)) router.replace(`/signin?next=${encodeURIComponent(pathname)}`);
  }, [signedOut, pathname, router]);

  if (signedOut && isPublic(pathname)) {
    return (
      <>
        <TestModeBanner />
        <header className="topbar">
          <div className="topbar-inner">
            <Brand />
            <nav className="nav" aria-label="Main">
              <Link href="/store" aria-current="page">
                Store
              </Link>
            </nav>
            <div className="userbox">
              <Link className="btn small primary" href={`/signin?next=${encodeURIComponent(pathname)}`}>
                Sign in
              </Link>
              <Link className="btn small" href="/signup">
                Sign up
              </Link>
            </div>
          </div>
        </header>
        <main className="page" id="main" tabIndex={-1}>
          <VisitorContext.Provider value={true}>{children}</VisitorContext.Provider>
        </main>
      </>
    );
  }

  if (!me.data) {
    return (
      <main className="page">
        <Loading what="your account" />
      </main>
    );
  }
  const { user, organizations, active_org_id, role } = me.data;
  const switchOrg = async (orgId: string) => {
    document.cookie = `memstore_org=${encodeURIComponent(orgId)}; path=/; samesite=lax; max-age=31536000`;
    await queryClient.invalidateQueries();
    router.push("/store");
  };
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TestModeBanner />
      <header className="topbar">
        <div className="topbar-inner">
          <Brand />
          <nav className="nav" aria-label="Main">
            {NAV.map((n) => (
              <Link
                key={n.href}
                href={n.href}
                aria-current={pathname.startsWith(n.href) ? "page" : undefined}
              >
                {n.label}
              </Link>
            ))}
          </nav>
          <div className="userbox">
            <label className="sr-only" htmlFor="org-switcher">
              Organisation
            </label>
            <select
              id="org-switcher"
              value={active_org_id ?? ""}
              onChange={(e) => void switchOrg(e.target.value)}
              style={{ width: "auto" }}
            >
              {organizations.map((o) => (
                <option key={o.org_id} value={o.org_id}>
                  {o.org_name}
                </option>
              ))}
            </select>
            <span className="badge accent" title="Your role in this organisation">
              {role}
            </span>
            <span className="user-name" title={user.email}>
              {user.name ?? user.email}
            </span>
            <button
              type="button"
              className="btn small"
              title={`Signed in as ${user.name ?? user.email} (${user.email})`}
              onClick={() => void signOut({ callbackUrl: "/signin" })}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="page" id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** Says plainly, on every page, that payments go to a test provider and no card is charged. */
function TestModeBanner() {
  const trpc = useTRPC();
  const mode = useQuery(trpc.commerce.mode.queryOptions(undefined, { staleTime: Infinity }));
  if (!mode.data?.test_mode) return null;
  return (
    <div className="test-mode" role="note">
      Test mode: payments go to a test provider and no real card is charged. Pay with 4242 4242 4242 4242.
    </div>
  );
}

function Brand() {
  return (
    <Link href="/store" className="brand">
      <span className="brand-mark" aria-hidden /> MemStore
    </Link>
  );
}
