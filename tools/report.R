# Reproduce the INCREASE VS evaluation: render the vignette "Reproducing the
# INCREASE VS evaluation" to report/increase-vs.html and print the
# report-versus-reproduction table to the console.
#
# Run from the package root once the package is installed:
#   Rscript tools/report.R [output directory, default "report"]
#
# The vignette does all the work, from reading the raw exports in
# inst/extdata/increase_vs/ to the weights, estimates and sensitivity
# analyses. This script renders it once and prints the tables the
# vignette leaves behind, so the console and the HTML report cannot
# disagree. The microdata are synthetic (see ?increase_vs); only the
# published figures are real.

suppressPackageStartupMessages(library(panelattrition))
if (!requireNamespace("rmarkdown", quietly = TRUE) ||
    !requireNamespace("knitr", quietly = TRUE)) {
  stop("tools/report.R needs the rmarkdown and knitr packages.", call. = FALSE)
}

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args)) args[[1]] else "report"

# the vignette from the sources when run in the package root, otherwise
# the copy installed with the package's built vignettes
rmd <- file.path("vignettes", "increase-vs.Rmd")
if (!file.exists(rmd)) {
  rmd <- system.file("doc", "increase-vs.Rmd", package = "panelattrition")
}
if (!nzchar(rmd) || !file.exists(rmd)) {
  stop("Cannot find increase-vs.Rmd: run from the package root, or install ",
       "the package with its vignettes.", call. = FALSE)
}

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
work <- tempfile("increase-vs-")
dir.create(work)
env <- new.env(parent = globalenv())
cat("Rendering", rmd, "...\n")
took <- system.time(
  html <- rmarkdown::render(rmd, output_dir = normalizePath(out_dir),
                            intermediates_dir = work, envir = env,
                            quiet = TRUE)
)[["elapsed"]]
unlink(work, recursive = TRUE)

# Console tables ------------------------------------------------------------

fmt <- function(x, digits = 1) {
  count <- !is.na(x) & x >= 100 & x %% 1 == 0
  ifelse(is.na(x), "",
         ifelse(count, formatC(x, format = "d", big.mark = ","),
                formatC(x, format = "f", digits = digits)))
}
span <- function(lo, hi) ifelse(is.na(lo), "", paste0(fmt(lo), "-", fmt(hi)))

tab <- env$report_table
shown <- data.frame(
  figure = tab$figure,
  published = fmt(tab$published),
  complete_cases = fmt(tab$complete_cases),
  weighted = fmt(tab$weighted),
  ci_95 = span(tab$conf_low, tab$conf_high),
  sensitivity = span(tab$range_low, tab$range_high)
)
names(shown) <- c("figure", "published", "complete", "weighted", "95% CI",
                  "sensitivity")
old <- options(width = 100)

rule <- function() cat(strrep("-", 78), "\n", sep = "")
cat("\n")
rule()
cat("INCREASE VS: published figures against the synthetic reproduction\n")
rule()
cat(strwrap(paste0(
  "Counts, then percentages. Complete: the figure recomputed from complete ",
  "cases of the synthetic microdata, as the report defines it. Weighted: ",
  "the attrition-weighted estimate (frame: the ",
  format(sum(env$completers$completed), big.mark = ","), " completers) ",
  "with its 95% interval. Sensitivity: the weighted estimate when ",
  "nonrespondents' log-odds are shifted by +/-", env$delta_range,
  " (the largest shift the programme records reveal). Cells under 10 ",
  "respondents suppressed. Programme figures come from the records, not ",
  "the survey."), width = 78), sep = "\n")
cat("\n")
print(shown, row.names = FALSE, right = TRUE)

chk <- env$check
cat("\nCheck of the weighting: monitoring outcomes of all completers\n",
    "(programme records) against the T3 survey estimates, percent\n\n",
    sep = "")
print(data.frame(outcome = chk$outcome, records = fmt(chk$records),
                 `complete cases` = fmt(chk$complete_cases),
                 weighted = fmt(chk$weighted),
                 `95% CI` = span(chk$conf_low, chk$conf_high),
                 `weighting helps` = ifelse(
                   abs(chk$weighted - chk$records) <
                     abs(chk$complete_cases - chk$records), "yes", "no"),
                 check.names = FALSE),
      row.names = FALSE, right = TRUE)
cat("\nWhere weighting does not help, dropout depends on the outcome itself\n",
    "(missing not at random), which no weighting on observed answers can\n",
    "see; the report's section 3 and its sensitivity ranges deal with it.\n",
    sep = "")
rule()
options(old)
cat(sprintf("Report written to %s (%.0f s)\n", html, took))
