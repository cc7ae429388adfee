/**
 * DEVELOPMENT ONLY — trusts the client: `Authorization: Bearer <name>` makes the request
 * user `<name>` (1–64 letters, digits, `.`, `_`, `@`, `-`), with no password or signature.
 * Anyone can claim any name. `npm run sync-server` and the demo use it; real apps pass
 * an `authorize` that verifies a session cookie or a signed token.
 */
export function insecureDevAuthorize(request: Request): string | null {
  const match = /^Bearer ([A-Za-z0-9._@-]{1,64})$/.exec(request.headers.get('authorization') ?? '')
  return match ? match[1]! : null
}
