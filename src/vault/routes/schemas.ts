// JSON Schemas of the customer request bodies. Lenient where the client needs it (spec §3.1): unknown
// fields are ignored (no additionalProperties: false), omitted optional fields get their defaults in
// the handlers. Types are never coerced: a number where a string belongs is a 400 naming the field.

const shortString = { type: 'string', maxLength: 256 } as const
const object = { type: 'object' } as const

export const clearanceBody = {
  type: 'object',
  required: ['tool_name'],
  properties: {
    tool_name: { type: 'string', minLength: 1, maxLength: 256 },
    tool_args: object,
    agent_id: shortString,
    session_id: shortString,
    context: object,
  },
} as const

export const mintTokenBody = {
  type: 'object',
  required: ['tool_name', 'original_request_id'],
  properties: {
    tool_name: { type: 'string', minLength: 1, maxLength: 256 },
    tool_args: object,
    agent_id: shortString,
    session_id: shortString,
    policy_id: shortString,
    policy_version_id: shortString,
    original_request_id: { type: 'string', minLength: 1, maxLength: 256 },
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
    status: { type: 'string', enum: ['pending_review', 'approved', 'denied', 'all'] },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
    cursor: { type: 'string', maxLength: 512 },
  },
} as const

export const requestIdParams = {
  type: 'object',
  required: ['request_id'],
  properties: { request_id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const

export const agentIdParams = {
  type: 'object',
  required: ['agent_id'],
  properties: { agent_id: { type: 'string', minLength: 1, maxLength: 256 } },
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


