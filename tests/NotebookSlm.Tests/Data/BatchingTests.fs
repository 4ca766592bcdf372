module NotebookSlm.Tests.Data.BatchingTests
