"""Report: what batchport writes for a person to read, and the fast xlsx writer under it.

- ``outcomes``: what happened to every input row and order (pure, from the run's records);
- ``result``: the result workbook of ``run`` (Summary, Rows, Orders, Findings);
- ``validation``: the validation workbook of ``validate`` (Rows, Findings);
- ``template``: the blank port-in template with its instructions;
- ``sheets``: sheet builders the result and validation workbooks share;
- ``xlsx`` and ``xlsx_rows``: workbooks written atomically, data rows serialised straight to XML.
"""
