"use client";
import { addMemberInput } from "@memstore/api/schemas";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Field } from "../../_components/field";
import { DataTable } from "../../_components/data-table";
import { Empty, ErrorBox } from "../../_components/feedback";
import { PAGED } from "../../_components/show-more";
import { formValues, useSchemaForm } from "../../_lib/form";
import { useTRPC } from "../../_lib/trpc";
import { ProfileForm } from "./profile-form";

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
  const me = useQuery(trpc.account.me.queryOptions());
  const members = useInfiniteQuery(trpc.members.list.infiniteQueryOptions({ limit: 50 }, PAGED));
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.members.list.pathFilter()) };
  const add = useMutation(trpc.members.add.mutationOptions(refresh));
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions(refresh));
  const remove = useMutation(trpc.members.remove.mutationOptions(refresh));
  const { errors, submit } = useSchemaForm(addMemberInput);
  const myRole = me.data?.role;
  const manages = myRole === "owner" || myRole === "admin";
  // Only an owner gives or takes the owner role (the server says the same).
  const editable = (role: string) => manages && (role !== "owner" || myRole === "owner");

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
          <p>Who belongs to this organisation, what each role may do, and what its publisher page says.</p>
        </div>
      </div>
      <div className="two-col">
        <div>
          <ErrorBox error={members.error ?? changeRole.error ?? remove.error} />
          <DataTable
            list={members}
            what="members"
            rowKey={(m) => m.user_id}
            empty={<Empty title="No members" />}
            columns={[
              {
                header: "Name",
                cell: (m) => (
                  <>
                    {m.name ?? "—"}
                    {m.user_id === me.data?.user.id && <span className="muted small"> (you)</span>}
                  </>
                ),
              },
              { header: "Email", cell: (m) => m.email },
              {
                header: "Role",
                cell: (m) =>
                  editable(m.role) ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={changeRole.isPending}
                      onChange={(e) =>
                        changeRole.mutate({ user_id: m.user_id, role: e.target.value as typeof m.role })
                      }
                    >
                      {Object.keys(ROLE_HELP)
                        .filter((role) => role !== "owner" || myRole === "owner")
                        .map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                    </select>
                  ) : (
                    <span className="badge accent">{m.role}</span>
                  ),
              },
              manages && {
                header: <span className="sr-only">Remove</span>,
                cell: (m) =>
                  editable(m.role) && (
                    <button
                      className="btn small danger"
                      type="button"
                      aria-label={`Remove ${m.email}`}
                      disabled={remove.isPending}
                      onClick={() => {
                        const who = m.user_id === me.data?.user.id ? "yourself" : m.email;
                        if (confirm(`Remove ${who} from this organisation? The account stays.`))
                          remove.mutate({ user_id: m.user_id });
                      }}
                    >
                      Remove
                    </button>
                  ),
              },
            ]}
          />
        </div>
        {manages && (
          <form
            className="card form"
            onSubmit={(event) => void onSubmit(event)}
            noValidate
            aria-labelledby="add-member"
          >
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
                  {Object.entries(ROLE_HELP)
                    .filter(([role]) => role !== "owner" || myRole === "owner")
                    .map(([role, help]) => (
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
        )}
      </div>
      {manages && <ProfileForm />}
    </>
  );
}
