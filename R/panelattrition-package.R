#' panelattrition: attrition-weighted analysis of longitudinal survey panels
#'
#' Reads survey exports (a C reader on libcsv: [read_survey()],
#' [read_waves()]) and builds validated person-by-wave panels
#' ([panel_data()], [response_pattern()]) for surveys that lose many of
#' their respondents between waves.
#'
#' Errors raised by the package have class `panelattrition_error` and a
#' more specific class (`panelattrition_arg_error`,
#' `panelattrition_csv_error`, `panelattrition_id_error`,
#' `panelattrition_panel_error`), with fields that locate the problem.
#'
#' @references
#' Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1995). Analysis of
#' semiparametric regression models for repeated outcomes in the presence
#' of missing data. *Journal of the American Statistical Association*,
#' 90(429), 106-121.
#' @keywords internal
#' @useDynLib panelattrition, .registration = TRUE, .fixes = "C_"
"_PACKAGE"

# Threads for the C kernels' own parallel loops (X'WX in the response
# models): getOption("panelattrition.threads"), 2 when unset or invalid.
# Results do not depend on it.
pa_threads <- function() {
  n <- getOption("panelattrition.threads", 2L)
  if (!is.numeric(n) || length(n) != 1L || is.na(n) || n < 1) return(2)
  as.double(min(floor(n), 64))
}
