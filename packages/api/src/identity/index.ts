/** Identity: organisations, people and their roles, API keys, sessions. */
export {
  authenticateApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  subjectStillValid,
} from "./api-keys.ts";
export {
  type CreatedOrganization,
  createOrganization,
  createOrganizationInput,
} from "./create-organization.ts";
export { LoginThrottle } from "./login-throttle.ts";
export { addMember, changeMemberRole, listMembers, removeMember } from "./members.ts";
export { addMemberInput, changeMemberRoleInput, createApiKeyInput, signUpInput } from "./schemas.ts";
export { accountOf, membershipsOf, userSubject, verifyCredentials } from "./sessions.ts";
export { signUp } from "./sign-up.ts";
export { getProfile, profileInput, updateProfile } from "./profile.ts";
