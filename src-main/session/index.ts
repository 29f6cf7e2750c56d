/** Session: what the connected database is and which console role the login has. Public entry. */
export { SessionService, ADMIN_ROLE, SUPPORT_ROLE } from './service'
