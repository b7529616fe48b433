import { profileInput, updateProfile } from "@memstore/api/identity";
import { route } from "../route.ts";

export const organizationRoutes = [
  route({
    method: "PATCH",
    path: "/api/v1/org/profile",
    summary:
      "Edit what the organisation's public publisher page says of it: name, about (Markdown) and website (https)",
    tag: "organization",
    scope: "admin",
    body: profileInput,
    status: 200,
    handler: ({ ctx, subject, body }) => updateProfile(ctx, subject, body),
  }),
];
