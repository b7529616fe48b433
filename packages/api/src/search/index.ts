/** Search: what an agent finds in a vault (vector, keyword and their fusion, over installs and memories). */
export { type SearchInput, searchInput } from "./schemas.ts";
export { type SearchResult, searchVault } from "./search-vault.ts";
