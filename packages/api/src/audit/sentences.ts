import type { AuditLogRow } from "@memstore/db";

/**
 * An audit row as a sentence a compliance officer can follow: "ana@globex.example installed EU VAT
 * essentials 1.0.0 into Support knowledge". People and keys by name, objects by title; an id is
 * shown only where no name can be found (something since deleted).
 */

type Names = ReadonlyMap<string, string>;
type Row = Pick<AuditLogRow, "actor" | "action" | "objectType" | "objectId" | "data">;

/** Who acted, in words: a person's e-mail, a key's name, the platform or Stripe. */
export function actorName(actor: string, names: Names): string {
  const [kind, id = ""] = splitOnce(actor, ":");
  if (kind === "user") return names.get(id) ?? `a former member (${id})`;
  if (kind === "key") return names.has(id) ? `the key “${names.get(id)}”` : `a deleted key (${id})`;
  if (kind === "subscription") return "an event subscription";
  if (kind === "stripe") return "Stripe";
  if (kind === "system" || kind === "worker") return `MemStore (${id.replace(/-/g, " ")})`;
  return actor;
}

/** The ids a row's sentence names, by kind, for one query each. */
export function idsToName(rows: Row[]) {
  const ids = {
    userIds: [] as string[],
    keyIds: [] as string[],
    vaultIds: [] as string[],
    installIds: [] as string[],
    versionIds: [] as string[],
    listingIds: [] as string[],
    cubeIds: [] as string[],
  };
  const byType: Record<string, string[]> = {
    user: ids.userIds,
    api_key: ids.keyIds,
    vault: ids.vaultIds,
    install: ids.installIds,
    cube_version: ids.versionIds,
    listing: ids.listingIds,
    cube: ids.cubeIds,
  };
  for (const r of rows) {
    const [kind, id = ""] = splitOnce(r.actor, ":");
    if (kind === "user") ids.userIds.push(id);
    if (kind === "key") ids.keyIds.push(id);
    byType[r.objectType]?.push(r.objectId);
    const d = r.data;
    if (typeof d.vault_id === "string") ids.vaultIds.push(d.vault_id);
    if (typeof d.listing_id === "string") ids.listingIds.push(d.listing_id);
    if (typeof d.cube_id === "string") ids.cubeIds.push(d.cube_id);
  }
  return ids;
}

const text = (value: unknown) =>
  typeof value === "string" || typeof value === "number" ? String(value) : null;

/** What an action did, given who (`a`), the object's name (`o`) and the row's data. */
const SENTENCES: Record<
  string,
  (a: string, o: string, d: Record<string, unknown>, n: (id: unknown) => string) => string
> = {
  "install.created": (a, _o, d, n) =>
    `${a} installed ${n(d.listing_id)} ${text(d.version) ?? ""} into ${n(d.vault_id)}`,
  "install.upgraded": (a, o, d, n) =>
    `${a} upgraded ${o} in ${n(d.vault_id)} from ${text(d.from)} to ${text(d.to)}`,
  "install.rolled_back": (a, o, d, n) =>
    `${a} rolled back ${o} in ${n(d.vault_id)} from ${text(d.from)} to ${text(d.to)}`,
  "install.moved_by_yank": (a, o, d, n) =>
    `${a} moved ${o} in ${n(d.vault_id)} off the yanked ${text(d.from)} to ${text(d.to)}`,
  "install.suspended": (a, o, d, n) =>
    `${a} suspended ${o} in ${n(d.vault_id)}: its version was yanked as critical`,
  "install.noticed": (a, o, d, n) => `${a} flagged ${o} in ${n(d.vault_id)}: its version was yanked`,
  "install.notice_lifted": (a, o, d, n) => `${a} lifted the yank notice on ${o} in ${n(d.vault_id)}`,
  "install.skipped_frozen": (a, o, d, n) => `${a} left ${o} in the frozen ${n(d.vault_id)} as it was`,
  "install.auto_update_skipped": (a, o, d) =>
    `${a} skipped updating ${o} to ${text(d.version)}: the vault is frozen`,
  "install.removed": (a, o, d, n) => `${a} uninstalled ${o} from ${n(d.vault_id)}`,
  "vault.created": (a, o) => `${a} created the vault ${o}`,
  "vault.updated": (a, o) => `${a} changed the settings of ${o}`,
  "vault.frozen": (a, o, d) => `${a} froze ${o}: ${text(d.reason)}`,
  "vault.unfrozen": (a, o, d) => `${a} unfroze ${o}${text(d.reason) ? `: ${text(d.reason)}` : ""}`,
  "memory.created": (a, _o, d, n) => `${a} wrote a memory in ${n(d.vault_id)}`,
  "memory.updated": (a, _o, d, n) => `${a} edited a memory in ${n(d.vault_id)}`,
  "memory.archived": (a, _o, d, n) => `${a} archived a memory in ${n(d.vault_id)}`,
  "key.created": (a, o) => `${a} created the API key “${o}”`,
  "key.revoked": (a, o) => `${a} revoked the API key “${o}”`,
  "version.yanked": (a, o, d) => `${a} yanked ${o} (${text(d.severity)}): ${text(d.reason)}`,
  "version.unyanked": (a, o) => `${a} unyanked ${o}`,
  "version.created": (a, o) => `${a} started version ${o}`,
  "version.submitted": (a, o) => `${a} submitted ${o} for processing`,
  "listing.published": (a, o) => `${a} published the listing of ${o}`,
  "cube.created": (a, o) => `${a} created the cube ${o}`,
};

/** The row's sentence. */
export function auditSentence(row: Row, names: Names): string {
  const actor = actorName(row.actor, names);
  const name = (id: unknown) => (typeof id === "string" ? (names.get(id) ?? id) : "something");
  const object = name(row.objectId);
  const say = SENTENCES[row.action];
  if (say) return say(actor, object, row.data, name).replace(/\s+/g, " ");
  const [noun = "", verb = ""] = splitOnce(row.action, ".");
  return `${actor} — ${noun.replace(/_/g, " ")} ${verb.replace(/_/g, " ")}: ${object}`;
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + sep.length)];
}
