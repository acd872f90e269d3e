// pdfkit behind a module of ours, so renderPdf can load it lazily: a runtime import() only ever loads
// our own modules (test/core/lazy-imports.test.ts), because esbuild gives a dynamically imported
// CommonJS package no named or default export shape we can rely on. The bundle keeps pdfkit external
// (scripts/build.ts): it reads its font metrics from its own directory at run time.
import PDFKit from 'pdfkit'

export { PDFKit }
