// http-proxy-3's factory, behind our own module so websocket.ts can load it on first need with
// `import('./tunnel-proxy.ts')`. http-proxy-3 is CommonJS: a dynamic `import('http-proxy-3')` has
// named exports under Node's loader but only `default` in the esbuild bundle; a static import here
// is converted by esbuild's interop and reads the same under both (src/vault/route-ajv.ts,
// test/build/lazy-imports.test.ts).
export { createProxyServer } from 'http-proxy-3'
