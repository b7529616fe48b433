"use client";
import { signUpInput } from "@memstore/api/schemas";
import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { Field } from "../_components/field";
import { ErrorBox } from "../_components/feedback";
import { formValues, useSchemaForm } from "../_lib/form";
import { useTRPC } from "../_lib/trpc";

export default function SignUpPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const signUp = useMutation(trpc.account.signUp.mutationOptions());
  const { errors, submit } = useSchemaForm(signUpInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const account = await submit(formValues(event.currentTarget), async (value) => {
      await signUp.mutateAsync(value);
      return value;
    });
    if (!account) return;
    await signIn("credentials", { email: account.email, password: account.password, redirect: false });
    router.push("/store");
  }

  return (
    <div className="auth-wrap">
      <div className="card auth-card stack">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden /> MemStore
        </Link>
        <h1>Create your account</h1>
        <p className="muted small">You will own a new organisation; invite your team to it later.</p>
        {/* POST even before the page hydrates: a form that fell back to GET would put the password in the URL. */}
        <form className="form" method="post" onSubmit={(event) => void onSubmit(event)} noValidate>
          <ErrorBox error={signUp.error} />
          <Field label="Your name" error={errors.name}>
            {(a) => <input {...a} name="name" autoComplete="name" />}
          </Field>
          <Field label="Work email" error={errors.email}>
            {(a) => <input {...a} name="email" type="email" autoComplete="email" />}
          </Field>
          <Field label="Password" error={errors.password} hint="At least 8 characters.">
            {(a) => <input {...a} name="password" type="password" autoComplete="new-password" />}
          </Field>
          <Field
            label="Organisation"
            error={errors.organization}
            hint="The publisher or company name others will see."
          >
            {(a) => <input {...a} name="organization" autoComplete="organization" />}
          </Field>
          <button className="btn primary" type="submit" disabled={signUp.isPending}>
            {signUp.isPending ? "Creating…" : "Create account"}
          </button>
        </form>
        <p className="muted small">
          Have an account? <Link href="/signin">Sign in</Link>
        </p>
      </div>
    </div>
  );
}
