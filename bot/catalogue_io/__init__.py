"""Catalogue files in and out: identity of rows, readers (CSV in any of the encodings Excel
writes, XLSX streamed within limits), the annex layout finder, the import plan and report,
and the export that the import reads back unchanged."""
