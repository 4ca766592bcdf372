module NotebookSlm.Tests.Export.GgufTests
