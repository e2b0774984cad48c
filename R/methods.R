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
    cat(sprintf("%d %s suppressed (small cells, and cells that would reveal them; see ?wave_means)\n",
                sum(df$suppressed), plural(sum(df$suppressed), "cell")))
  }
  invisible(x)
}

#' @rdname pa_estimates
#' @export
as.data.frame.pa_estimates <- function(x, row.names = NULL, optional = FALSE,
                                       ...) {
  keep <- c("names", "row.names")
  for (a in setdiff(names(attributes(x)), keep)) attr(x, a) <- NULL
  class(x) <- "data.frame"
  x
}

#' @rdname pa_estimates
#' @importFrom stats vcov
#' @export
vcov.pa_estimates <- function(object, ...) {
  table_vcov(object, "vcov()")
}


#' @rdname pa_estimates
#' @return `summary()` returns a one-row-per-setting overview (class
#'   `summary.pa_estimates`): what was estimated, how, how many estimates
#'   and suppressed cells, and the range of effective sample sizes.
#' @export
summary.pa_estimates <- function(object, ...) {
  df <- as.data.frame(object)
  out <- data.frame(
    kind = attr(object, "kind") %||% NA_character_,
    estimator = attr(object, "estimator") %||% NA_character_,
    se = attr(object, "se") %||% NA_character_,
    conf_level = attr(object, "conf_level") %||% NA_real_,
    by = attr(object, "by") %||% NA_character_,
    estimates = nrow(df),
    suppressed = sum(df$suppressed),
    # suppressed cells show no counts, so neither do their extremes
    min_n = shown_extreme(df$n, min),
    min_n_eff = shown_extreme(df$n_eff, min),
    max_n_eff = shown_extreme(df$n_eff, max)
  )
  class(out) <- c("summary.pa_estimates", "data.frame")
  out
}

shown_extreme <- function(v, f) {
  v <- v[!is.na(v)]
  if (length(v)) f(v) else NA_real_
}

#' @rdname pa_estimates
#' @export
print.summary.pa_estimates <- function(x, ...) {
  y <- x
  class(y) <- "data.frame"
  cat("<pa_estimates summary>\n")
  print(y, row.names = FALSE)
  invisible(x)
}


# Row subsets keep the table's attributes. The covariance, influence values
# and replicates are keyed by the rows' identity (see disclosure.R), so the
# functions that use them find the rows that remain, in their new order;
# the parts that belong to rows no longer present are dropped.
#' @export
`[.pa_estimates` <- function(x, i, j, ..., drop) {
  keep_attrs <- attributes(x)
  out <- NextMethod()
  if (!is.data.frame(out)) return(out)
  out <- restrict_stored(out, keep_attrs)
  class(out) <- keep_attrs$class
  out
}

# Plots of tables with nothing in them would fail inside graphics with a
# message about axis limits; say what is wrong instead.
check_rows_to_plot <- function(x) {
  est <- if ("estimate" %in% names(x)) x$estimate else x[[1]]
  if (nrow(x) == 0L || all(is.na(est))) {
    pa_abort("There is nothing to plot: the table has no rows with estimates.",
             class = "panelattrition_arg_error", argument = "x")
  }
  invisible(x)
}
