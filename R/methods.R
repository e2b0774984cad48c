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

#' Covariance of group contrasts
#'
#' The covariance of the contrasts of a [compare_groups()] table, one row
#' and column per row of the table in its current order: \eqn{L V L'}, with
#' \eqn{V} the covariance of the estimates the contrasts were made from and
#' \eqn{L} the matrix of the contrasts (+1 for the group, -1 for the group
#' it is compared with). Rows are found by their identity (outcome, level,
#' wave, group and comparison group), so a subset or reordering of the
#' table keeps a correct covariance; rows that are repeated, edited or not
#' made with the rest are refused (class `panelattrition_table_error`).
#'
#' @param object A `pa_comparison` table from [compare_groups()].
#' @param ... Unused.
#' @return A square matrix without names, in the order of the rows of
#'   `object`.
#' @export
vcov.pa_comparison <- function(object, ...) {
  tab <- attr(object, "estimates")
  pairs <- attr(object, "pairs")
  by <- attr(object, "by")
  fix <- paste("Make the comparison again with compare_groups(), or subset",
               "or reorder its rows without binding or editing them.")
  lost <- function(why) {
    pa_abort(c(sprintf("vcov(): `object` %s, so the covariance of its contrasts is not known.",
                       why), i = fix),
             class = c("panelattrition_table_error", "panelattrition_arg_error"),
             argument = "object")
  }
  if (!inherits(tab, "pa_estimates") || is.null(pairs) || is.null(by) ||
      !by %in% names(tab)) {
    lost("has lost the estimates its contrasts were made from")
  }
  vc <- table_vcov(tab, "vcov()")
  keys <- intersect(c("outcome", "level", "from", "wave", "from_status",
                      "to_status"), names(object))
  if (!all(c("group", "versus", "estimate") %in% names(object))) {
    lost("has lost its columns `group`, `versus` or `estimate`")
  }
  # the identity of each contrast as made, and of each row now
  made <- tab[pairs$row_a, keys, drop = FALSE]
  made$group <- tab[[by]][pairs$row_a]
  made$versus <- tab[[by]][pairs$row_b]
  cols <- c(keys, "group", "versus")
  now <- row_keys(as.data.frame(object)[cols], cols)
  if (anyDuplicated(now)) lost("has the same contrast more than once")
  pos <- match(now, row_keys(made, cols))
  if (anyNA(pos)) {
    lost(sprintf("has %d %s not made with the rest", sum(is.na(pos)),
                 plural(sum(is.na(pos)), "row")))
  }
  a <- pairs$row_a[pos]
  b <- pairs$row_b[pos]
  if (!isTRUE(all(object$estimate == tab$estimate[a] - tab$estimate[b]))) {
    lost("has estimates that differ from those it was made with")
  }
  k <- length(pos)
  l <- matrix(0, k, nrow(tab))
  l[cbind(seq_len(k), a)] <- 1
  l[cbind(seq_len(k), b)] <- -1
  out <- l %*% vc %*% t(l)
  dimnames(out) <- NULL
  out
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
