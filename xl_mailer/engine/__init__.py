"""The engine: the concurrent send loop, the journal, the workbook's identity and locks."""
