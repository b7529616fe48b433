"use client";
import type { AppRouter } from "../../src/trpc/root.ts";
import { createTRPCContext } from "@trpc/tanstack-react-query";

/** Typed hooks over the portal's tRPC API; the router's types come from packages/api, never its code. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
