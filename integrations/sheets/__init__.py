"""Sheets in: CSV and XLSX files other systems export (`orders`: an ERP's orders)."""
