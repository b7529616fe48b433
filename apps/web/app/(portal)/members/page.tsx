"use client";
import { addMemberInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Field } from "../../_components/field";
import { ErrorBox, Loading } from "../../_components/feedback";
import { formValues, useSchemaForm } from "../../_lib/form";
import { useTRPC } from "../../_lib/trpc";

const ROLE_HELP: Record<string, string> = {
  owner: "everything, including adding owners",
  admin: "keys, members, vaults, installs, purchases",
  publisher: "cubes, versions and listings",
  member: "search vaults and write memories",
  auditor: "read-only, including the audit log",
};

export default function MembersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.members.list.queryOptions());
  const add = useMutation(
    trpc.members.add.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.members.list.queryKey() }),
    }),
  );
  const { errors, submit } = useSchemaForm(addMemberInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    if (await submit(formValues(form), (value) => add.mutateAsync(value))) form.reset();
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Members</h1>
          <p>Who belongs to this organisation, and what each role may do.</p>
        </div>
      </div>
      <div className="two-col">
        <div>
          <ErrorBox error={members.error} />
          {members.isPending ? (
            <Loading what="members" />
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Email</th>
                    <th>Role</th>
                  </tr>
                </thead>
                <tbody>
                  {members.data?.map((m) => (
                    <tr key={m.user_id}>
                      <td>{m.name ?? "—"}</td>
                      <td>{m.email}</td>
                      <td>
                        <span className="badge accent">{m.role}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="add-member">
          <h3 id="add-member">Add a member</h3>
          <p className="small muted" style={{ margin: 0 }}>
            They need a MemStore account first; they then find this organisation in their switcher.
          </p>
          <Field label="Email" error={errors.email}>
            {(a) => <input {...a} name="email" type="email" />}
          </Field>
          <Field label="Role" error={errors.role}>
            {(a) => (
              <select {...a} name="role" defaultValue="member">
                {Object.entries(ROLE_HELP).map(([role, help]) => (
                  <option key={role} value={role}>
                    {role} — {help}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <ErrorBox error={add.error} />
          <button className="btn primary" type="submit" disabled={add.isPending}>
            Add member
          </button>
        </form>
      </div>
    </>
  );
}
