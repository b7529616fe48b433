#!/usr/bin/env node
// The `memstore` command. Sources are TypeScript run through tsx, so no build step stands
// between a fresh clone and `npm start`.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
