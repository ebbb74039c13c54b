"""The openpyxl adapter (workbook files) and the ``xl-mailer`` command."""
