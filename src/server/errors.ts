// The server's typed errors are the protocol's (src/remote/errors.ts): the browser client
// throws the same classes for the same refusals.
export { ConflictError, NotFoundError, type ConflictDetails } from '../remote/errors.js'
