// YAML shape of the embedded Vault section (`vault_server:`), used in all-in-one and vault-only modes.
import { Type } from '@sinclair/typebox'

export const VaultServerSchema = Type.Object(
  {
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ default: '127.0.0.1', description: 'Address the Vault API listens on.' })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'Vault API port (0 = ephemeral).' })),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    data_dir: Type.Optional(Type.String({ default: './data', description: 'Directory for the SQLite store and signing keys.' })),
    token_ttl: Type.Optional(Type.String({ default: '300s', description: 'A-JWT lifetime (spec §5.2 default 300 s).' })),
    issuer: Type.Optional(Type.String({ default: 'alcv-vault' })),
    audience: Type.Optional(Type.String({ default: 'ledgix-sdk' })),
    admin_api_key: Type.Optional(Type.String({ description: 'Key for /admin (X-Admin-API-Key or Bearer). Use ${LEDGIX_ADMIN_API_KEY}.' })),
  },
  { additionalProperties: false, default: {} },
)
