module NotebookSlm.Tests.Export.OnnxExportTests
