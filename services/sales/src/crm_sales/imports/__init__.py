"""Importing opportunities from CSV / XLSX files, on the kit's import machinery
(`crm_kit.imports`): every row through the opportunity use cases."""
