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
#' `panelattrition_panel_error`, `panelattrition_size_error`, ...), with
#' fields that locate the problem (`argument`, `variables`, ...). Their
#' messages name the function called, then give the problem and hints as
#' bullets, one a line (also in the field `bullets`).
#'
#' @section Size limits:
#' Before an allocation that grows with the panel's size times the number
#' of cells, levels or replicates, the memory it needs is estimated and,
#' above the option `panelattrition.max_bytes` (default 8 GiB), refused
#' with an error of class `panelattrition_size_error` (fields `bytes` and
#' `limit`). Besides, a factor covariate of the response models may have at
#' most half as many levels as the people at risk at the first stage
#' (`panelattrition_levels_error`), and `by` of [wave_means()] and
#' [panel_change()] at most the number of people divided by `min_n`
#' groups (`panelattrition_groups_error`): more would leave most cells
#' below `min_n`.
#'
#' @section Memory pages:
#' On Linux, the C kernels ask the system to back their large arrays (4 MB
#' and more: model matrices, fitted values, influence values, bootstrap
#' replicates) by transparent huge pages (`madvise(MADV_HUGEPAGE)` on the
#' array's own whole 2 MB pages), where the system grants them on request
#' (`/sys/kernel/mm/transparent_hugepage/enabled` set to `madvise` or
#' `always`). Writing a fresh array then takes up to 512 times fewer page
#' faults: on a virtual machine where a fault costs about 10 microseconds,
#' the weights, means by group and GEE on a panel of a million people took
#' 2.6-2.8 s instead of 3.1 s in a fresh R process. Nothing else in the R
#' process changes and no result depends on it;
#' `options(panelattrition.huge_pages = FALSE)` turns the request off (for
#' systems where granting huge pages stalls on memory compaction).
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
