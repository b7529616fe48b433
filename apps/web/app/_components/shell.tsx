"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { statusOf } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { Loading } from "./feedback";

const NAV = [
  { href: "/store", label: "Store" },
  { href: "/studio", label: "Studio" },
  { href: "/vaults", label: "Vaults" },
  { href: "/keys", label: "API keys" },
  { href: "/usage", label: "Usage" },
  { href: "/audit", label: "Audit log" },
  { href: "/members", label: "Members" },
];

/** The signed-in frame: navigation, organisation switcher, role, sign-out. Signed-out visitors go to sign-in. */
export function Shell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions());
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();

  useEffect(() => {
    if (me.error && statusOf(me.error) === 401)
      router.replace(`/signin?next=${encodeURIComponent(pathname)}`);
  }, [me.error, pathname, router]);

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
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/store" className="brand">
            <span className="brand-mark" aria-hidden /> MemStore
          </Link>
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
