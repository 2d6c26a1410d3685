"""The import machinery every service's CSV / XLSX imports run on: file formats (`tables`),
cells and columns, the job model, its store and read side, accepting an upload (`intake`), the
leased worker that runs a job batch by batch through the service's handler, row reports and
the error report, signed download links and their route, and the mutations' shared checks."""
