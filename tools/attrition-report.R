# The one-call attrition report on the INCREASE VS data: builds the panel
# and weights as the vignette "Reproducing the INCREASE VS evaluation" does,
# then writes report/attrition-report.html with attrition_report().
#
# Run from the package root once the package is installed:
#   Rscript tools/attrition-report.R [output directory, default "report"]

suppressPackageStartupMessages(library(panelattrition))
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args)) args[[1]] else "report"

# the vignette's code up to the weights, run from its own chunks so that
# the two cannot drift apart
rmd <- file.path("vignettes", "increase-vs.Rmd")
if (!file.exists(rmd)) {
  rmd <- system.file("doc", "increase-vs.Rmd", package = "panelattrition")
}
code <- tempfile(fileext = ".R")
invisible(knitr::purl(rmd, output = code, quiet = TRUE, documentation = 0))
lines <- readLines(code)
stop_at <- grep("^w <- attrition_weights\\(", lines)[1L]
end <- stop_at
while (!grepl("\\)\\s*$", lines[end])) end <- end + 1L
env <- new.env(parent = globalenv())
invisible(utils::capture.output(
  suppressMessages(eval(parse(text = lines[seq_len(end)]), envir = env))
))

file <- file.path(out_dir, "attrition-report.html")
took <- system.time(
  attrition_report(env$w, outcomes = c("mhc_total", "employment"),
                   by = "approach", file = file,
                   title = "INCREASE VS: attrition analysis (synthetic microdata)",
                   min_n = 10)
)[["elapsed"]]
cat(sprintf("Attrition report written to %s (%.0f s)\n", file, took))
