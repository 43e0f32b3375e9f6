"""Workbooks handed out by this application hold data, never formulas. A contact name, a complaint or an answer
typed as "=HYPERLINK(…)" stays the text it was: openpyxl takes a string starting with "=" for a formula, and Excel
would run text starting with "+", "-" or "@" once someone edits the cell, so such text is stored as text with
Excel's quote prefix (shown as typed, never evaluated)."""
import io

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@")


def workbook_bytes(book: Workbook) -> bytes:
    """The saved workbook, after turning every formula-looking cell into quoted text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (cell.data_type == "s" and isinstance(cell.value, str)
                                             and cell.value.startswith(FORMULA_STARTS)):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
