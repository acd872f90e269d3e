// String patterns of the config schema that validate.ts also reads at run time to word its
// messages; here, not in schema.ts, so loading a config does not load TypeBox (issue 7).

/** RFC 9110 token: header names and methods. */
export const TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
/** Route names become metric labels and log fields, so keep them short and plain. */
export const ROUTE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$'
/** A Host header value without the port: a DNS name, an IPv4 address or a bracketed IPv6 one. */
export const HOST_PATTERN = '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+)$'
