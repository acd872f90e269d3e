// Layout helpers pdfkit lacks (measured in the design notes, C2): a table that keeps rows whole and
// re-draws its header row on every page it continues on, headings that never sit alone at a page foot,
// and the page furniture (report id, page x of y, anchor) drawn once all pages exist.
import type PDFDocument from 'pdfkit'

type Doc = InstanceType<typeof PDFDocument>

export const FONT = 'body'
export const FONT_BOLD = 'bold'
export const FONT_MONO = 'mono'
const CELL_PAD = 3
const BODY_SIZE = 8

export interface Column {
  header: string
  /** Share of the usable width (the shares of a table add up to 1). */
  width: number
  mono?: boolean
}

function usable(doc: Doc): { left: number; width: number; bottom: number } {
  const m = doc.page.margins
  return { left: m.left, width: doc.page.width - m.left - m.right, bottom: doc.page.height - m.bottom }
}

function rowHeight(doc: Doc, cells: readonly string[], widths: readonly number[], columns: readonly Column[], bold: boolean): number {
  let h = 0
  for (let i = 0; i < cells.length; i++) {
    doc.font(bold ? FONT_BOLD : columns[i]!.mono === true ? FONT_MONO : FONT).fontSize(BODY_SIZE)
    h = Math.max(h, doc.heightOfString(cells[i]!, { width: widths[i]! - 2 * CELL_PAD }))
  }
  return h + 2 * CELL_PAD
}

function drawRow(doc: Doc, y: number, cells: readonly string[], widths: readonly number[], columns: readonly Column[], header: boolean): number {
  const { left } = usable(doc)
  const h = rowHeight(doc, cells, widths, columns, header)
  if (header) doc.save().rect(left, y, widths.reduce((a, b) => a + b, 0), h).fill('#e8ecf2').restore()
  let x = left
  for (let i = 0; i < cells.length; i++) {
    doc.font(header ? FONT_BOLD : columns[i]!.mono === true ? FONT_MONO : FONT).fontSize(BODY_SIZE).fillColor('#111111')
    doc.text(cells[i]!, x + CELL_PAD, y + CELL_PAD, { width: widths[i]! - 2 * CELL_PAD, lineBreak: true })
    x += widths[i]!
  }
  doc.save().moveTo(left, y + h).lineTo(x, y + h).lineWidth(0.4).stroke('#b0b8c4').restore()
  return y + h
}

/** A table; each row stays on one page, and a continued table starts its new page with the header row. */
export function table(doc: Doc, columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): void {
  const { width, bottom } = usable(doc)
  const widths = columns.map((c) => c.width * width)
  const headers = columns.map((c) => c.header)
  let y = doc.y
  if (y + rowHeight(doc, headers, widths, columns, true) + (rows.length > 0 ? rowHeight(doc, rows[0]!, widths, columns, false) : 0) > bottom) {
    doc.addPage()
    y = doc.y
  }
  y = drawRow(doc, y, headers, widths, columns, true)
  for (const row of rows) {
    if (y + rowHeight(doc, row, widths, columns, false) > bottom) {
      doc.addPage()
      y = drawRow(doc, doc.y, headers, widths, columns, true)
    }
    y = drawRow(doc, y, row, widths, columns, false)
  }
  doc.x = usable(doc).left
  doc.y = y + 10
}

export function heading(doc: Doc, text: string, size = 14): void {
  // A heading needs room for itself and a few lines under it, or it moves to the next page.
  if (doc.y + size * 4 > usable(doc).bottom) doc.addPage()
  doc.font(FONT_BOLD).fontSize(size).fillColor('#0b2545').text(text, usable(doc).left, doc.y)
  doc.moveDown(0.4)
}

export function paragraph(doc: Doc, text: string, mono = false): void {
  doc.font(mono ? FONT_MONO : FONT).fontSize(9).fillColor('#111111').text(text, usable(doc).left, doc.y, { width: usable(doc).width })
  doc.moveDown(0.5)
}

/** Key/value lines (cover, anchor). */
export function facts(doc: Doc, pairs: ReadonlyArray<readonly [string, string]>): void {
  table(doc, [{ header: 'Item', width: 0.28 }, { header: 'Value', width: 0.72, mono: true }], pairs)
}

/** Header and footer on every page, drawn after layout (bufferPages) so "page x of y" is known. */
export function pageFurniture(doc: Doc, reportId: string, anchorText: string): void {
  const range = doc.bufferedPageRange()
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i)
    const { left, width } = usable(doc)
    const saved = doc.page.margins
    // Drawing inside the margins would otherwise make pdfkit start a new page.
    doc.page.margins = { top: 0, bottom: 0, left: saved.left, right: saved.right }
    doc.font(FONT).fontSize(7).fillColor('#555555')
    doc.text(`Ledgix compliance report ${reportId} — confidential`, left, 20, { width, align: 'left', lineBreak: false })
    doc.text(`${anchorText}    Page ${i + 1} of ${range.count}`, left, doc.page.height - 30, { width, align: 'right', lineBreak: false })
    doc.page.margins = saved
  }
}
