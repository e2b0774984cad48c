# Methods shared by the estimate tables.

#' Print, convert and extract from estimate tables
#'
#' `pa_estimates` tables are data frames with the covariance matrix of
#' their estimates and the settings that produced them as attributes.
#' `print()` shows them rounded, with a header; `as.data.frame()` drops the
#' attributes; `vcov()` returns the covariance matrix of the estimates (in
#' row order).
#'
#' @param x,object A `pa_estimates` table.
#' @param digits Significant digits for printing.
#' @param row.names,optional Unused, for compatibility with the generic.
#' @param ... Unused.
#' @return `print()` returns `x` invisibly; `as.data.frame()` a plain data
#'   frame; `vcov()` a matrix.
#' @name pa_estimates
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + age, monotone = FALSE)
#' m <- wave_means(w, "wellbeing")
#' m
#' vcov(m)
#' as.data.frame(m)
NULL

#' @rdname pa_estimates
#' @export
print.pa_estimates <- function(x, digits = 4, ...) {
  kind <- attr(x, "kind") %||% "estimates"
  cat(sprintf("<pa_estimates> %s; %s, %s standard errors, %g%% intervals\n",
              gsub("_", " ", kind),
              switch(attr(x, "estimator") %||% "ipw",
                     ipw = "attrition-weighted",
                     complete_case = "complete cases (unweighted)",
                     attr(x, "estimator")),
              attr(x, "se") %||% "", 100 * (attr(x, "conf_level") %||% 0.95)))
  df <- as.data.frame(x)
  if ("level" %in% names(df) && all(is.na(df$level))) df$level <- NULL
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, digits))
  print(df, row.names = FALSE)
  if (any(df$suppressed)) {
    cat(sprintf("%d %s suppressed (fewer respondents than min_n)\n",
                sum(df$suppressed), plural(sum(df$suppressed), "cell")))
  }
  invisible(x)
}

#' @rdname pa_estimates
#' @export
as.data.frame.pa_estimates <- function(x, row.names = NULL, optional = FALSE,
                                       ...) {
  attrs <- c("vcov", "by", "conf_level", "kind", "se", "estimator", "call",
             "omnibus", "changed")
  for (a in attrs) attr(x, a) <- NULL
  class(x) <- "data.frame"
  x
}

#' @rdname pa_estimates
#' @importFrom stats vcov
#' @export
vcov.pa_estimates <- function(object, ...) {
  attr(object, "vcov")
}
