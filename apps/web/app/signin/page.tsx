"use client";
import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { Field } from "../_components/field";
import { formValues } from "../_lib/form";

function SignInForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { email, password } = formValues(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await signIn("credentials", { email, password, redirect: false });
    setBusy(false);
    if (!result || result.error) {
      setError(
        !result || result.error === "CredentialsSignin"
          ? "That email and password do not match an account."
          : result.error,
      );
      return;
    }
    const next = params.get("next");
    router.push(next?.startsWith("/") ? next : "/store");
  }

  return (
    // POST even before the page hydrates: a form that fell back to GET would put the password in the URL.
    <form className="form" method="post" onSubmit={(event) => void onSubmit(event)} noValidate>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <Field label="Email">
        {(a) => <input {...a} name="email" type="email" autoComplete="email" required />}
      </Field>
      <Field label="Password">
        {(a) => <input {...a} name="password" type="password" autoComplete="current-password" required />}
      </Field>
      <button className="btn primary" type="submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

export default function SignInPage() {
  return (
    <div className="auth-wrap">
      <div className="card auth-card stack">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden /> MemStore
        </Link>
        <h1>Sign in</h1>
        <Suspense>
          <SignInForm />
        </Suspense>
        <p className="muted small">
          New here? <Link href="/signup">Create an account</Link>
        </p>
      </div>
    </div>
  );
}
