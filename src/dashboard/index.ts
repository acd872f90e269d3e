// Public surface of src/dashboard: the dashboard's built assets (embedded or built in memory). The
// esbuild-based builder (build-app.ts) is not exported: only scripts/build.ts and a dev server load it.
export { embedDashboard, loadDashboardAssets } from './assets.ts'
export type { DashboardAsset, DashboardAssets, EmbeddedDashboard } from './assets.ts'
