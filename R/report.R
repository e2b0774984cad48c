# One call from weights to a self-contained HTML report of the attrition
# analysis, rendered from the R Markdown template in inst/report/.

#' A self-contained HTML report of an attrition analysis
#'
#' Renders, in one call, the report an evaluator can hand to a funder or a
#' board: who answered at each wave (the response flow), the response
#' models, the distribution of the weights and the effective sample size,
#' balance of the baseline covariates before and after weighting (table
#' and love plot), weighted estimates by wave and group with their
#' intervals next to complete cases, comparisons between groups, a
#' sensitivity summary (tipping points for numeric outcomes, worst-case
#' bounds for binary and categorical ones), notes on suppressed cells, and
#' the code that reproduces every number. Cells with fewer than `min_n`
#' respondents are suppressed everywhere, as in the package's tables.
#'
#' @param w A `pa_weights` object from [attrition_weights()].
#' @param outcomes Names of outcome columns of the panel's data.
#' @param by Optional name of a grouping column (a baseline covariate).
#' @param file Path of the HTML file to write.
#' @param title Title of the report.
#' @param min_n Smallest number of respondents a published cell may have.
#' @param quiet Render without rmarkdown's messages.
#' @return The path of the report, invisibly.
#' @export
#' @examples
#' \donttest{
#' if (rmarkdown::pandoc_available()) {
#'   files <- c(
#'     T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'     T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'     T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#'   )
#'   panel <- panel_data(read_waves(files, id = "id"), id = "id",
#'                       wave = "wave", baseline = c("group", "gender", "age"))
#'   w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#'   out <- attrition_report(w, c("wellbeing", "employment"), by = "group",
#'                           file = file.path(tempdir(), "report.html"))
#' }
#' }
attrition_report <- function(w, outcomes, by = NULL,
                             file = "attrition-report.html",
                             title = "Attrition analysis",
                             min_n = getOption("panelattrition.min_n", 5),
                             quiet = TRUE) {
  check_required("w", "outcomes")
  fn <- "attrition_report()"
  check_weights_object(w)
  if (!is.character(outcomes) || !length(outcomes) || anyNA(outcomes)) {
    arg_error("outcomes", "a character vector of column names", outcomes)
  }
  cols <- names(w$panel$data)
  for (v in outcomes) check_column(v, cols, "outcomes", "the panel's data")
  if (!is.null(by)) {
    check_string(by, "by")
    check_column(by, names(w$panel$baseline), "by",
                 "the panel's baseline covariates")
  }
  check_string(file, "file")
  check_string(title, "title")
  check_min_n(min_n)
  check_flag(quiet, "quiet")
  if (!requireNamespace("rmarkdown", quietly = TRUE) ||
      !requireNamespace("knitr", quietly = TRUE)) {
    pa_abort(paste(fn, "needs the rmarkdown and knitr packages:",
                   "install.packages(c(\"rmarkdown\", \"knitr\"))."),
             class = "panelattrition_dependency_error")
  }
  if (!rmarkdown::pandoc_available()) {
    pa_abort(paste(fn, "needs pandoc to write HTML; it comes with RStudio,",
                   "or install it from https://pandoc.org (Debian: apt-get",
                   "install pandoc)."),
             class = "panelattrition_dependency_error")
  }
  template <- system.file("report", "attrition-report.Rmd",
                          package = "panelattrition")
  work <- tempfile("attrition-report-")
  dir.create(work)
  on.exit(unlink(work, recursive = TRUE), add = TRUE)
  rmd <- file.path(work, "attrition-report.Rmd")
  file.copy(template, rmd)
  out_dir <- dirname(file)
  if (!dir.exists(out_dir)) dir.create(out_dir, recursive = TRUE)
  call_text <- paste(deparse(match.call(), width.cutoff = 70L),
                     collapse = "\n")
  env <- new.env(parent = asNamespace("panelattrition"))
  env$report_args <- list(w = w, outcomes = outcomes, by = by, title = title,
                          min_n = min_n, call = call_text,
                          weights_call = paste(deparse(w$call, width.cutoff = 70L),
                                               collapse = "\n"))
  old <- options(panelattrition.min_n = min_n, panelattrition.progress = FALSE)
  on.exit(options(old), add = TRUE)
  html <- suppressMessages(rmarkdown::render(
    rmd, output_file = basename(file),
    output_dir = normalizePath(out_dir), intermediates_dir = work,
    knit_root_dir = work, envir = env, quiet = quiet
  ))
  invisible(html)
}

# A column looked up by name, with a hint when it is a small edit away.
check_column <- function(name, columns, arg, where) {
  if (!name %in% columns) {
    pa_abort(c(sprintf("`%s` names `%s`, which is not a column of %s.",
                       arg, name, where), did_you_mean(name, columns)),
             class = "panelattrition_arg_error", argument = arg)
  }
  invisible(name)
}
