/** Entry point the backend registry imports lazily. */
export { identityBackend } from './identity-backend.js';
