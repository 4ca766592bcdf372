module NotebookSlm.Tests.Data.TaskTests
