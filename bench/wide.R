# Wide files: time and peak memory of read_survey() on files with many
# columns and few rows.
#
#   R_LIBS=/path/to/lib Rscript bench/wide.R [case]
#
# Without an argument every case is run, each in a child process under
# /usr/bin/time -v (its "Maximum resident set size" is the peak of that
# child alone); with one, only that case is read in this process. The
# files are written once under BENCH_DIR (default: tempdir()).
#   text100k   100,000 text columns x 2 rows   target < 2 s, < 300 MB
#   num2m      2,000,000 numeric columns x 1 row   target < 10 s
#   text20k    20,000 text columns x 2 rows (the size of the test)

cases <- list(
  text100k = list(ncol = 1e5, nrow = 2, text = TRUE),
  num2m = list(ncol = 2e6, nrow = 1, text = FALSE),
  text20k = list(ncol = 2e4, nrow = 2, text = TRUE)
)
dir <- Sys.getenv("BENCH_DIR", tempdir())

wide_file <- function(name) {
  spec <- cases[[name]]
  path <- file.path(dir, sprintf("wide-%s.csv", name))
  if (file.exists(path)) return(path)
  con <- file(path, "w")
  on.exit(close(con))
  writeLines(paste0("v", seq_len(spec$ncol), collapse = ","), con)
  for (i in seq_len(spec$nrow)) {
    vals <- if (spec$text) {
      paste0(letters[(seq_len(spec$ncol) + i) %% 26 + 1], i)
    } else {
      format(seq_len(spec$ncol) + i / 4, scientific = FALSE, trim = TRUE)
    }
    writeLines(paste(vals, collapse = ","), con)
  }
  path
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 1L) {
  suppressPackageStartupMessages(library(panelattrition))
  path <- wide_file(args[[1L]])
  tm <- system.time(x <- read_survey(path))
  # processor time too: a busy machine inflates the elapsed time only
  cat(sprintf("%-9s %8d cols x %d rows  %6.2f s  (CPU %.2f s; file %.1f MB)\n",
              args[[1L]], ncol(x), nrow(x), tm[["elapsed"]],
              tm[["user.self"]] + tm[["sys.self"]], file.size(path) / 2^20))
} else {
  script <- normalizePath(sub("^--file=", "",
                              grep("^--file=", commandArgs(FALSE),
                                   value = TRUE)))
  for (name in names(cases)) {
    wide_file(name)
    out <- system2("/usr/bin/time",
                   c("-v", file.path(R.home("bin"), "Rscript"), script, name),
                   stdout = TRUE, stderr = TRUE)
    rss <- as.numeric(sub(".*: ", "", grep("Maximum resident", out,
                                           value = TRUE)))
    cat(grep("cols x", out, value = TRUE),
        sprintf(" peak RSS %.0f MB\n", rss / 1024), sep = "")
  }
}
