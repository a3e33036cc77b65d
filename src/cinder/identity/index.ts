// The emulated Keystone: identity file, users and projects, tokens, and its HTTP routes.

export { type ParsedAuthRequest, type PasswordAuthRequest, parseAuthRequest } from './auth-request.js';
export {
  IDENTITY_FILE_MAX_BYTES,
  type IdentityFile,
  IdentityFileError,
  KNOWN_ROLES,
  loadIdentityFile,
  parseIdentityFile,
  type RoleName,
} from './identity-file.js';
export {
  DEFAULT_DOMAIN_ID,
  DEFAULT_DOMAIN_NAME,
  IdentityService,
  type IdentityServiceOptions,
  type Project,
  type Role,
  stableId,
  type TokenInfo,
  type User,
} from './identity-service.js';
export { type KeystoneRoutesOptions, keystoneRoutes } from './keystone-routes.js';
export { KeystoneError, type ServiceCatalogUrls, serviceCatalog, tokenBody } from './keystone-views.js';
export { TOKEN_LIFETIME_MS, TOKENS_MAX, type TokenGrant, TokenStore } from './token-store.js';
