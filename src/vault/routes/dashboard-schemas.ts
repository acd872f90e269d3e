// JSON Schemas of the dashboard endpoints' requests (docs/design/dashboard.md §3), compiled by the
// same lazy Ajv as every Vault route: no coercion, a 400 naming the field.
import { IDENTIFIER_MAX_LENGTH } from '../../core/index.ts'
import { MAX_ROTATION_GRACE_SECONDS } from '../api-keys.ts'
import { identifier, headerText } from './schemas.ts'

/** Items per bulk decision: one request stays short, and a slip of the hand stays bounded. */
export const MAX_BULK_DECISIONS = 100
/** Policy text accepted for validation or a dry run: far above any real policy, far below the body limit. */
export const MAX_POLICY_TEXT_LENGTH = 256 * 1024

/** Our ids (`key_<uuid>`, `pv_<uuid>`); any other text only fails the lookup, so it is just bounded. */
const opaqueId = { type: 'string', minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH } as const
const format = { type: 'string', enum: ['yaml', 'json'] } as const

export const bulkDecisionBody = {
  type: 'object',
  required: ['request_ids', 'approved'],
  properties: {
    request_ids: { type: 'array', minItems: 1, maxItems: MAX_BULK_DECISIONS, uniqueItems: true, items: identifier },
    approved: { type: 'boolean' },
    review_reason: { type: 'string', maxLength: 4000 },
  },
} as const

export const keyIdParams = { type: 'object', required: ['key_id'], properties: { key_id: opaqueId } } as const

export const rotateKeyBody = {
  type: 'object',
  required: ['grace_seconds'],
  properties: { grace_seconds: { type: 'integer', minimum: 0, maximum: MAX_ROTATION_GRACE_SECONDS } },
} as const

export const versionParams = { type: 'object', required: ['version'], properties: { version: opaqueId } } as const

export const formatQuery = { type: 'object', properties: { format } } as const

export const diffQuery = {
  type: 'object',
  required: ['from', 'to'],
  properties: { from: opaqueId, to: opaqueId, format },
} as const

export const validateBody = {
  type: 'object',
  required: ['content'],
  properties: { content: { type: 'string', maxLength: MAX_POLICY_TEXT_LENGTH }, format },
} as const

export const dryRunBody = {
  type: 'object',
  required: ['tool_name'],
  properties: {
    version: opaqueId,
    content: { type: 'string', maxLength: MAX_POLICY_TEXT_LENGTH },
    format,
    tool_name: identifier,
    tool_args: { type: 'object' },
    agent_id: identifier,
    session_id: headerText,
    context: { type: 'object' },
  },
} as const
