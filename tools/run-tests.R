# Run the test suite against the installed package (tools/sanitize.sh,
# tools/valgrind.sh); the working directory is tests/testthat. Internal
# functions are visible because the tests run in the package namespace.
res <- testthat::test_dir(
  ".", package = "panelattrition", load_package = "installed",
  reporter = testthat::SummaryReporter$new(show_praise = FALSE),
  stop_on_failure = FALSE
)
res <- as.data.frame(res)
cat(sprintf("\nrun-tests: %d passed, %d failed, %d errors, %d skipped\n",
            sum(res$passed), sum(res$failed), sum(res$error),
            sum(res$skipped)))
if (sum(res$failed) > 0 || any(res$error)) quit(status = 1)
