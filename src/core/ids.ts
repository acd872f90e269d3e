// Branded ids for values that are easy to swap by mistake.

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

export type TenantId = Brand<string, 'TenantId'>
export type ApiKeyId = Brand<string, 'ApiKeyId'>
export type Jti = Brand<string, 'Jti'>
export type Kid = Brand<string, 'Kid'>
export type LeafIndex = Brand<number, 'LeafIndex'>
export type TreeSize = Brand<number, 'TreeSize'>
