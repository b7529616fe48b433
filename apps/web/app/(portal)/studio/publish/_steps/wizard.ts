import type { CubeType, Terms } from "@memstore/core";

/** What the wizard carries from step to step: the cube, then the draft version and its governance. */
export type WizardCube = { id: string; slug: string; title: string; type: CubeType };
export type WizardVersion = {
  id: string;
  version: string;
  visibility: string;
  /** The terms the version's manifest declares; the listing offers them. */
  license: Terms;
};
