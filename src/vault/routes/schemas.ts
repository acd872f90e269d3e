// JSON Schemas of the customer request bodies. Lenient where the client needs it (spec §3.1): unknown
// fields are ignored (no additionalProperties: false), omitted optional fields get their defaults in
// the handlers. Types are never coerced: a number where a string belongs is a 400 naming the field.
import { HEADER_TEXT_PATTERN, IDENTIFIER_MAX_LENGTH, IDENTIFIER_PATTERN, OPTIONAL_IDENTIFIER_PATTERN } from '../../core/index.ts'

// Identifiers (agent, tool, policy, tenant and request ids) follow the one rule of
// src/core/identifier.ts; session ids are header text. Ajv checks maxLength, minLength, then pattern,
// and body-checks.ts mirrors that order and wording for the fast path.

const shortString = { type: 'string', maxLength: 256 } as const
const object = { type: 'object' } as const

/** The one identifier rule as a schema (the pattern bounds the length too; maxLength words it). */
export const identifier = { type: 'string', maxLength: IDENTIFIER_MAX_LENGTH, minLength: 1, pattern: IDENTIFIER_PATTERN } as const
/** Header text: "" or printable ASCII without a space at either end (src/core/identifier.ts). */
export const headerText = { type: 'string', maxLength: IDENTIFIER_MAX_LENGTH, pattern: HEADER_TEXT_PATTERN } as const
/** An identifier or "" (the policy hint: "" means none). */
const optionalIdentifier = { type: 'string', maxLength: IDENTIFIER_MAX_LENGTH, pattern: OPTIONAL_IDENTIFIER_PATTERN } as const

export const clearanceBody = {
  type: 'object',
  required: ['tool_name'],
  properties: {
    tool_name: identifier,
    tool_args: object,
    agent_id: identifier,
    session_id: headerText,
    // Free-form but for the policy hint, which becomes the token's policy_id claim.
    context: { type: 'object', properties: { policy_id: optionalIdentifier } },
  },
} as const

export const mintTokenBody = {
  type: 'object',
  required: ['tool_name', 'original_request_id'],
  properties: {
    tool_name: identifier,
    tool_args: object,
    agent_id: identifier,
    session_id: headerText,
    // Read from the original decision, never from here (spec §3.3): only bounded.
    policy_id: shortString,
    policy_version_id: shortString,
    original_request_id: identifier,
  },
} as const

export const consumeBody = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1 } },
} as const

export const registerPolicyBody = {
  type: 'object',
  required: ['policy_id'],
  properties: {
    // The identifier rule is checked by the policy compiler, which reports every problem at once.
    policy_id: { type: 'string', minLength: 1, maxLength: 256 },
    description: { type: 'string' },
    rules: { type: 'array' },
    tools: { type: 'array', items: { type: 'string' } },
  },
} as const

export const reviewDecisionBody = {
  type: 'object',
  required: ['approved'],
  properties: {
    approved: { type: 'boolean' },
    review_reason: { type: 'string', maxLength: 4000 },
    reviewer_email: { type: 'string', maxLength: 320 },
  },
} as const

export const reviewsQuery = {
  type: 'object',
  properties: {
    // The first four are the original filters (by clearance status); the dashboard's are by review
    // state: pending (= pending_review), decided (by a person or Slack), expired.
    status: { type: 'string', enum: ['pending_review', 'approved', 'denied', 'all', 'pending', 'decided', 'expired'] },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
    cursor: { type: 'string', maxLength: 512 },
  },
} as const

export const requestIdParams = {
  type: 'object',
  required: ['request_id'],
  properties: { request_id: identifier },
} as const

export const agentIdParams = {
  type: 'object',
  required: ['agent_id'],
  properties: { agent_id: identifier },
} as const

export const tenantIdParams = {
  type: 'object',
  required: ['tenant_id'],
  properties: { tenant_id: identifier },
} as const

export const reviewSettingsBody = {
  type: 'object',
  properties: {
    minimum_confidence_score: { type: 'number', minimum: 0, maximum: 1 },
    minimum_confidence_bucket: { type: 'string', enum: ['extra_high', 'high', 'medium', 'low', 'none'] },
  },
} as const

export const notificationSettingsBody = {
  type: 'object',
  properties: {
    email_enabled: { type: 'boolean' },
    email_recipients: { anyOf: [{ type: 'string', maxLength: 4000 }, { type: 'array', items: { type: 'string' }, maxItems: 100 }] },
    slack_enabled: { type: 'boolean' },
    slack_webhook_url: { type: 'string', maxLength: 2048 },
    webhook_url: { type: 'string', maxLength: 2048 },
  },
} as const

/** POST /admin/tenants/{id}/api-keys and POST /api-keys: both default to an unnamed agent key that never expires. */
export const apiKeyCreateBody = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 256 },
    role: { type: 'string', enum: ['agent', 'reviewer', 'admin'] },
    expires_in_days: { type: 'integer', minimum: 1, maximum: 3650 },
  },
} as const
