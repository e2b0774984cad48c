# One sensitivity summary per estimate: the MAR estimate with the tipping
# points of the pattern-mixture (tipping_point()) and selection-model
# (tilt_sensitivity()) analyses on their benchmarked scales, Manski bounds
# for proportions, and Lee (2009) trimming bounds for differences between
# two groups. It only combines the sensitivity models (tipping.R, tilt.R,
# bounds.R); its print(), tidy() and glance() methods are at the end of
# this file, plot() in plot.R and autoplot() in autoplot.R.

#' One sensitivity summary per estimate
#'
#' For every row of a table of wave means, changes or group differences,
#' how much missing-not-at-random dropout it would take to overturn it, on
#' scales a reader can judge: the MAR estimate and interval; the tipping
#' `delta` of [tipping_point()] (pattern mixture), in standard deviations
#' of the outcome and, for changes and differences, as a share of the
#' estimate; the tipping `alpha` of [tilt_sensitivity()] (selection model)
#' and its ratio to the fitted effect of the last observed outcome on
#' dropout; the Manski bounds of proportions ([attrition_bounds()]); and
#' for differences between two groups, the trimming bounds of Lee (2009).
#'
#' @section What each column assumes:
#' * `tipping_delta`, `tipping_delta_sd`, `tipping_share`: the dropouts'
#'   outcomes are their MAR values shifted by `delta` (log-odds for
#'   proportions), as in [tipping_point()] with `criterion = "interval"`:
#'   the `delta` nearest 0 at which the interval first includes `null`
#'   (or, if it includes it at 0, would exclude it).
#'   For a difference between groups the dropouts of the first group of
#'   the contrast (column `group` of [compare_groups()]) are shifted and
#'   the other group's kept at their MAR values (`group_delta`), since a
#'   common shift barely moves a difference.
#' * `tipping_alpha`, `tipping_alpha_benchmark`: dropout at each wave
#'   depends on the current outcome with log odds ratio `alpha`, through
#'   the weights' own stages ([tilt_sensitivity()]); the benchmark is the
#'   coefficient of the outcome's last observed value (`history`) in the
#'   weights' response models (for a difference, only the first group's
#'   dropout is tilted: `group_alpha`), so 2.3 reads "dropout would have to depend
#'   on the current outcome 2.3 times as strongly as on the previous one".
#'   `NA` for the first wave (nobody has dropped out) and, without a
#'   `history` term of the outcome, for the benchmarked ratio.
#' * `manski_lower`, `manski_upper`: nothing about the dropouts (Manski,
#'   1990), for proportions (a difference of two groups' proportions gets
#'   the difference of their bounds).
#' * `lee_lower`, `lee_upper`: for a difference between two groups of a
#'   table of wave means (or proportions), Lee's (2009) bounds under
#'   monotone selection: whoever answers in the group with the lower
#'   base-weighted answer rate would also answer in the other, so the
#'   group with the higher rate is trimmed by the share \eqn{(p_{hi} -
#'   p_{lo}) / p_{hi}} of its answers from the top or from the bottom
#'   (base-weighted, no covariates), and the bounds are the differences of
#'   the trimmed and untrimmed means.
#'
#' Rows suppressed in `x` stay suppressed (every number `NA`), and every
#' number is computed with `min_n`: a bound or tipping point resting on
#' fewer than `min_n` people is suppressed too.
#'
#' @param x A table from [wave_means()] or [panel_change()], or a
#'   comparison from [compare_groups()] of such a table.
#' @param w The `pa_weights` object `x` was estimated with.
#' @param null The value the conclusion is about: 0 for changes and
#'   differences by default; for wave means the tipping points are `NA`
#'   unless `null` is given (one number).
#' @param rows Optional rows of `x` to summarise (numbers); asking for a
#'   suppressed row is an error.
#' @param benchmark The benchmark of `alpha`, as in [tilt_sensitivity()]:
#'   `NULL` for the outcome's own `_prev` history term, or another term of
#'   the response models (such as `"employment_prevemployed"`).
#' @param min_n As in [wave_means()].
#'
#' @return A data frame of class `pa_sensitivity_summary`: the key columns
#'   of `x`, `estimate`, `std_error`, `conf_low`, `conf_high`, `null`,
#'   `tipping_delta`, `tipping_delta_sd`, `tipping_share`, `tipping_alpha`,
#'   `tipping_alpha_benchmark`, `manski_lower`, `manski_upper`,
#'   `lee_lower`, `lee_upper` and `suppressed`. `print()` shows one line
#'   per estimate (suppressed rows as such), `plot()` and `autoplot()` (see
#'   [pa_plots]) one row per estimate with the bounds as ranges, `tidy()`
#'   the broom columns (the statistic against `null`) with the sensitivity
#'   columns, `glance()` one row about the whole summary.
#'
#' @references
#' Lee, D. S. (2009). Training, wages, and sample selection: estimating
#' sharp bounds on treatment effects. *Review of Economic Studies*, 76,
#' 1071-1102.
#'
#' Manski, C. F. (1990). Nonparametric bounds on treatment effects.
#' *American Economic Review*, 80, 319-323.
#' @seealso [tipping_point()], [tilt_sensitivity()], [attrition_bounds()].
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' ch <- panel_change(w, "wellbeing", from = "T1", to = "T2")
#' sensitivity_summary(ch, w)
sensitivity_summary <- function(x, w, null = NULL, rows = NULL,
                                benchmark = NULL,
                                min_n = getOption("panelattrition.min_n", 5)) {
  check_required("x", "w")
  src <- tipping_source(x)
  check_weights_object(w)
  check_min_n(min_n)
  tab <- src$table
  kind <- src$kind
  means_table <- kind == "wave_means" && !src$comparison
  if (!is.null(null) && (!is.numeric(null) || length(null) != 1L ||
                         is.na(null) || !is.finite(null))) {
    arg_error("null", "one finite number", null)
  }
  supp <- if ("suppressed" %in% names(x)) x$suppressed else {
    rep(FALSE, nrow(x))
  }
  if (src$comparison) {
    supp <- tab$suppressed[src$pairs$row_a] | tab$suppressed[src$pairs$row_b]
  }
  if (!is.null(rows)) {
    if (!is.numeric(rows) || anyNA(rows) || any(rows != round(rows)) ||
        any(rows < 1) || any(rows > nrow(x))) {
      arg_error("rows", sprintf("row numbers of `x` (1 to %d)", nrow(x)),
                rows)
    }
    if (any(supp[rows])) {
      pa_abort(
        sprintf(paste("Row%s %s of `x` %s suppressed (fewer than `min_n`",
                      "people), so %s no sensitivity summary."),
                if (sum(supp[rows]) > 1L) "s" else "",
                paste(rows[supp[rows]], collapse = ", "),
                if (sum(supp[rows]) > 1L) "are" else "is",
                if (sum(supp[rows]) > 1L) "they have" else "it has"),
        class = c("panelattrition_disclosure_error", "panelattrition_arg_error"),
        argument = "rows"
      )
    }
  } else {
    rows <- seq_len(nrow(x))
  }
  null_used <- if (!is.null(null)) null else if (means_table) NA_real_ else 0
  keys <- src$keys
  out <- x[rows, keys, drop = FALSE]
  class(out) <- "data.frame"
  out$estimate <- x$estimate[rows]
  out$std_error <- x$std_error[rows]
  out$conf_low <- x$conf_low[rows]
  out$conf_high <- x$conf_high[rows]
  out$null <- null_used
  n_out <- length(rows)
  empty <- rep(NA_real_, n_out)
  out$tipping_delta <- out$tipping_delta_sd <- out$tipping_share <- empty
  out$tipping_alpha <- out$tipping_alpha_benchmark <- empty
  out$manski_lower <- out$manski_upper <- empty
  out$lee_lower <- out$lee_upper <- empty
  out$suppressed <- supp[rows]

  if (!is.na(null_used)) {
    # pattern mixture: tipping_point() on the whole table
    prop <- "level" %in% names(tab) || any(vapply(
      unique(tab$outcome), function(v) {
        y <- w$panel$data[[v]]
        is.logical(y) || is_binary_numeric(y)
      }, logical(1)))
    unit <- if (prop) 3 else max(abs(x$estimate), 1, na.rm = TRUE)
    tip_of <- function(group_delta) {
      tp <- suppressMessages(tipping_point(x, delta = c(-1, 0, 1) * unit,
                                           null = null_used, search = 10,
                                           group_delta = group_delta,
                                           w = w))
      attr(tp, "tipping")
    }
    if (src$comparison) {
      # a difference moves when one group's dropouts differ: the first
      # group of each contrast is shifted, the other kept at MAR
      tip <- NULL
      shifted <- as.character(x$group)
      for (g in unique(shifted[rows])) {
        tg <- tip_of(stats::setNames(1, g))
        tip <- if (is.null(tip)) tg else {
          tip[shifted == g, ] <- tg[shifted == g, ]
          tip
        }
      }
      tip <- tip[rows, , drop = FALSE]
    } else {
      tip <- tip_of(NULL)[rows, , drop = FALSE]
    }
    out$tipping_delta <- tip$tipping_delta
    out$tipping_delta_sd <- tip$tipping_benchmark
    out$tipping_share <- tip$tipping_share
    # selection model
    ta <- summary_tilt(x, w, src, null_used, min_n, benchmark)
    out$tipping_alpha <- ta$alpha[rows]
    out$tipping_alpha_benchmark <- ta$benchmark[rows]
  }
  bd <- summary_bounds(x, w, src, min_n)
  out$manski_lower <- bd$manski[rows, 1]
  out$manski_upper <- bd$manski[rows, 2]
  out$lee_lower <- bd$lee[rows, 1]
  out$lee_upper <- bd$lee[rows, 2]
  out <- out[c(keys, "estimate", "std_error", "conf_low", "conf_high",
               "null", "tipping_delta", "tipping_delta_sd", "tipping_share",
               "tipping_alpha", "tipping_alpha_benchmark", "manski_lower",
               "manski_upper", "lee_lower", "lee_upper", "suppressed")]
  num <- setdiff(names(out), c(keys, "suppressed"))
  for (v in num) out[[v]][out$suppressed] <- NA
  rownames(out) <- NULL
  structure(out, class = c("pa_sensitivity_summary", "data.frame"),
            kind = if (src$comparison) "differences" else kind,
            by = attr(tab, "by"), conf_level = attr(x, "conf_level"))
}

# The tipping alpha of every row of x: one tilt_sensitivity() per outcome,
# level (and `from`, and reference group for differences), its tipping rows
# matched to x's by wave and group.
summary_tilt <- function(x, w, src, null, min_n, benchmark) {
  tab <- src$table
  n <- nrow(x)
  res <- list(alpha = rep(NA_real_, n), benchmark = rep(NA_real_, n))
  by <- attr(tab, "by")
  waves <- w$panel$waves
  lv_of <- function(k) {
    if ("level" %in% names(tab)) as.character(tab$level[k]) else NA_character_
  }
  if (src$comparison) {
    base_rows <- src$pairs$row_b
    refs <- as.character(tab[[by]][base_rows])
    grp_label <- paste(tab[[by]][src$pairs$row_a], "-", refs)
  } else {
    base_rows <- seq_len(n)
    refs <- rep(NA_character_, n)
    grp_label <- if (is.null(by)) rep("(all)", n) else as.character(tab[[by]])
  }
  wave_of <- as.character(tab$wave[base_rows])
  from_of <- if ("from" %in% names(tab)) tab$from[base_rows] else
    rep(NA_character_, n)
  shifted <- if (src$comparison) as.character(x$group) else
    rep(NA_character_, n)
  spec_key <- paste(tab$outcome[base_rows],
                    vapply(base_rows, lv_of, character(1)), from_of, refs,
                    shifted, sep = "\r")
  for (key in unique(spec_key)) {
    at <- which(spec_key == key & match(wave_of, waves) > 1L)
    if (!length(at)) next
    k <- base_rows[at[1L]]
    v <- tab$outcome[k]
    lv <- lv_of(k)
    y <- w$panel$data[[v]]
    categorical <- is.factor(y) || is.character(y)
    proportion <- categorical || is.logical(y) || is_binary_numeric(y)
    unit <- if (proportion) 1 else {
      yy <- if (is.factor(y)) NULL else y
      1 / max(stats::sd(yy, na.rm = TRUE), 1e-8)
    }
    from <- if (!is.na(from_of[at[1L]])) from_of[at[1L]]
    ref <- if (!is.na(refs[at[1L]])) refs[at[1L]]
    tl <- tryCatch(
      suppressMessages(tilt_sensitivity(
        w, v, alpha = c(0, unit), wave = unique(wave_of[at]), by = by,
        category = if (categorical) lv, from = from, ref = ref,
        group_alpha = if (!is.na(shifted[at[1L]])) {
          stats::setNames(1, shifted[at[1L]])
        },
        null = null, search = 5, min_n = min_n, benchmark = benchmark)),
      panelattrition_error = function(e) NULL
    )
    if (is.null(tl)) next
    tip <- attr(tl, "tipping")
    m <- match(paste(wave_of[at], grp_label[at]),
               paste(as.character(tip$wave), tip$group))
    res$alpha[at] <- tip$tipping_alpha[m]
    res$benchmark[at] <- tip$tipping_benchmark[m]
  }
  res
}

# Manski bounds of proportions (a difference of two groups' gets the
# difference of their bounds) and Lee bounds of differences of wave means.
summary_bounds <- function(x, w, src, min_n) {
  tab <- src$table
  n <- nrow(x)
  manski <- matrix(NA_real_, n, 2)
  lee <- matrix(NA_real_, n, 2)
  by <- attr(tab, "by")
  if (src$kind != "wave_means") return(list(manski = manski, lee = lee))
  rows <- panel_rows(w)
  waves <- w$panel$waves
  one_row <- function(k) {
    v <- tab$outcome[k]
    y <- w$panel$data[[v]]
    lv <- if ("level" %in% names(tab)) tab$level[k] else NA
    if (!is.na(lv)) y <- as.numeric(as.character(y) == lv)
    t <- match(as.character(tab$wave[k]), waves)
    yy <- rep(NA_real_, nrow(w$weights))
    at <- rows$wave == t & !is.na(y)
    yy[rows$person[at]] <- as.numeric(y[at])
    base <- w$baseline_rows
    grp <- if (is.null(by)) base else {
      if (!by %in% names(w$panel$baseline)) return(NULL)
      base[as.character(w$panel$baseline[[by]][base]) ==
             as.character(tab[[by]][k])]
    }
    binary <- all(yy[!is.na(yy)] %in% c(0, 1))
    list(y = yy[grp], d = w$base_weights[grp], binary = binary)
  }
  manski_of <- function(r) {
    if (is.null(r) || !r$binary) return(c(NA_real_, NA_real_))
    known <- !is.na(r$y)
    if (sum(known) < min_n || sum(r$y[known] == 1) < min_n ||
        sum(r$y[known] == 0) < min_n) return(c(NA_real_, NA_real_))
    lower <- sum(r$d[known] * r$y[known]) / sum(r$d)
    c(lower, lower + sum(r$d[!known]) / sum(r$d))
  }
  if (!src$comparison) {
    for (k in seq_len(n)) {
      if (isTRUE(tab$suppressed[k])) next
      manski[k, ] <- manski_of(one_row(k))
    }
    return(list(manski = manski, lee = lee))
  }
  for (k in seq_len(n)) {
    a <- src$pairs$row_a[k]
    b <- src$pairs$row_b[k]
    if (isTRUE(tab$suppressed[a]) || isTRUE(tab$suppressed[b])) next
    ra <- one_row(a)
    rb <- one_row(b)
    if (is.null(ra) || is.null(rb)) next
    ma <- manski_of(ra)
    mb <- manski_of(rb)
    manski[k, ] <- c(ma[1] - mb[2], ma[2] - mb[1])
    lee[k, ] <- lee_bounds(ra$y, ra$d, rb$y, rb$d, min_n)
  }
  list(manski = manski, lee = lee)
}

# Lee (2009) bounds of mean(a) - mean(b) under monotone selection: the
# group with the higher base-weighted share with a value is trimmed by
# q = (p_hi - p_lo) / p_hi of its (weighted) answers from the top (lower
# bound) or the bottom (upper bound). y is NA for those without a value.
lee_bounds <- function(ya, da, yb, db, min_n = 0) {
  ka <- !is.na(ya)
  kb <- !is.na(yb)
  pa <- sum(da[ka]) / sum(da)
  pb <- sum(db[kb]) / sum(db)
  mean_a <- sum(da[ka] * ya[ka]) / sum(da[ka])
  mean_b <- sum(db[kb] * yb[kb]) / sum(db[kb])
  if (pa >= pb) {
    q <- (pa - pb) / pa
    if ((1 - q) * sum(ka) < min_n) return(c(NA_real_, NA_real_))
    lo <- trimmed_mean(ya[ka], da[ka], q, keep = "bottom")
    hi <- trimmed_mean(ya[ka], da[ka], q, keep = "top")
    c(lo - mean_b, hi - mean_b)
  } else {
    q <- (pb - pa) / pb
    if ((1 - q) * sum(kb) < min_n) return(c(NA_real_, NA_real_))
    lo <- trimmed_mean(yb[kb], db[kb], q, keep = "bottom")
    hi <- trimmed_mean(yb[kb], db[kb], q, keep = "top")
    c(mean_a - hi, mean_a - lo)
  }
}

# The weighted mean of the lowest (keep = "bottom") or highest share 1 - q
# of the weight, the unit at the cut counted in part.
trimmed_mean <- function(y, d, q, keep) {
  o <- order(y, decreasing = keep == "top")
  y <- y[o]
  d <- d[o]
  mass <- (1 - q) * sum(d)
  before <- cumsum(d) - d
  part <- pmin(d, pmax(0, mass - before))
  sum(part * y) / mass
}

# Outputs ----------------------------------------------------------------------

# The row labels of a summary (the group, contrast or category, with the
# outcome when the table has several) and their headers (the wave, or the
# pair of waves of a change), for print(), plot() and autoplot().
summary_labels <- function(x) {
  df <- x
  class(df) <- "data.frame"
  n <- nrow(df)
  by <- attr(x, "by")
  label <- if ("contrast" %in% names(df)) {
    as.character(df$contrast)
  } else if (!is.null(by) && by %in% names(df)) {
    as.character(df[[by]])
  } else rep("everyone", n)
  if ("level" %in% names(df)) {
    label <- ifelse(label == "everyone", as.character(df$level),
                    paste0(df$level, ": ", label))
  }
  if ("outcome" %in% names(df) && length(unique(df$outcome)) > 1L) {
    label <- paste0(df$outcome, ": ", label)
  }
  header <- if ("from" %in% names(df)) {
    paste(df$from, "to", df$wave)
  } else paste("At", df$wave)
  list(label = label, header = header)
}

# A number for print(): `digits` significant digits, "-" for NA.
summary_num <- function(v, digits) {
  ifelse(is.na(v), "-", format_num(v, digits))
}

format_num <- function(v, digits) {
  vapply(v, function(u) {
    if (is.na(u)) return(NA_character_)
    formatC(signif(u, digits), digits = digits, format = "fg", flag = "#")
  }, character(1))
}

# The cells of print(): one string per column and row.
summary_cells <- function(x, digits) {
  df <- x
  class(df) <- "data.frame"
  # columns a subset (x[, cols]) may have dropped read as missing
  for (v in c("conf_low", "conf_high", "tipping_delta", "tipping_delta_sd",
              "tipping_share", "tipping_alpha", "tipping_alpha_benchmark",
              "manski_lower", "manski_upper", "lee_lower", "lee_upper")) {
    if (!v %in% names(df)) df[[v]] <- rep(NA_real_, nrow(df))
  }
  lab <- summary_labels(x)
  ci <- sprintf("%s [%s, %s]", summary_num(df$estimate, digits),
                summary_num(df$conf_low, digits),
                summary_num(df$conf_high, digits))
  # the tipping delta of a proportion (log-odds) has no SD scale
  delta <- ifelse(is.na(df$tipping_delta), "-", {
    extra <- ifelse(!is.na(df$tipping_delta_sd),
                    paste(summary_num(df$tipping_delta_sd, 2), "SD"),
                    "log-odds")
    share <- ifelse(!is.na(df$tipping_share),
                    sprintf(", %s%% of est.",
                            sprintf("%.0f", 100 * df$tipping_share)), "")
    sprintf("%s (%s%s)", summary_num(df$tipping_delta, digits), extra, share)
  })
  alpha <- ifelse(is.na(df$tipping_alpha), "-", ifelse(
    is.na(df$tipping_alpha_benchmark),
    summary_num(df$tipping_alpha, digits),
    sprintf("%s (%sx benchmark)", summary_num(df$tipping_alpha, digits),
            summary_num(df$tipping_alpha_benchmark, 2))))
  range_of <- function(lo, hi) {
    ifelse(is.na(lo) | is.na(hi), "-",
           sprintf("[%s, %s]", summary_num(lo, digits),
                   summary_num(hi, digits)))
  }
  out <- data.frame(
    header = lab$header, row = lab$label, estimate = ci,
    tipping_delta = delta, tipping_alpha = alpha,
    manski = range_of(df$manski_lower, df$manski_upper),
    lee = range_of(df$lee_lower, df$lee_upper),
    stringsAsFactors = FALSE
  )
  supp <- df$suppressed %in% TRUE
  out$estimate[supp] <- "suppressed (too few respondents)"
  out[supp, c("tipping_delta", "tipping_alpha", "manski", "lee")] <- ""
  out
}

#' @rdname sensitivity_summary
#' @param digits Significant digits for printing.
#' @param ... Unused by `print()` and `tidy()`; for `plot()` see [pa_plots].
#' @export
print.pa_sensitivity_summary <- function(x, digits = 3, ...) {
  df <- x
  class(df) <- "data.frame"
  what <- switch(attr(x, "kind") %||% "",
                 differences = "difference", panel_change = "change",
                 "estimate")
  nulls <- unique(df$null[!is.na(df$null)])
  cat(sprintf(paste0("<pa_sensitivity_summary> what missing-not-at-random ",
                     "dropout it would take to overturn each %s%s; %g%% ",
                     "intervals\n"),
              what,
              if (length(nulls) == 1L) sprintf(" (null %s)", format(nulls))
              else "",
              100 * (attr(x, "conf_level") %||% 0.95)))
  if (!nrow(df)) {
    cat("(no rows)\n")
    return(invisible(x))
  }
  if (!all(c("wave", "estimate") %in% names(df))) {
    # a selection of columns without the estimates: shown as it is
    print(df, digits = digits, ...)
    return(invisible(x))
  }
  cells <- summary_cells(x, digits)
  shown <- c("row", "estimate", "tipping_delta", "tipping_alpha", "manski",
             "lee")
  # Manski and Lee columns only where some row has them
  if (all(cells$manski %in% c("-", ""))) shown <- setdiff(shown, "manski")
  if (all(cells$lee %in% c("-", ""))) shown <- setdiff(shown, "lee")
  names_out <- c(row = "", estimate = "MAR estimate [CI]",
                 tipping_delta = "tipping delta",
                 tipping_alpha = "tipping alpha",
                 manski = "Manski bounds", lee = "Lee bounds")
  for (h in unique(cells$header)) {
    cat("\n", h, "\n", sep = "")
    part <- cells[cells$header == h, shown, drop = FALSE]
    part <- rbind(stats::setNames(as.list(names_out[shown]), shown), part)
    widths <- vapply(part, function(v) max(nchar(v)), numeric(1))
    for (i in seq_len(nrow(part))) {
      line <- vapply(seq_along(shown), function(j) {
        formatC(part[[j]][i], width = -widths[j])
      }, character(1))
      cat("  ", sub("\\s+$", "", paste(line, collapse = "  ")), "\n",
          sep = "")
    }
  }
  if ("null" %in% names(df) && all(is.na(df$null))) {
    cat("\nNo tipping points: give `null` for wave means.\n")
  } else {
    cat(paste0(
      "\ntipping delta: shift of the dropouts' values (pattern mixture; ",
      "log-odds for proportions) at which the conclusion changes: the ",
      "interval reaches the null, or, where it already includes it, leaves ",
      "it; in SDs of the outcome and as a share of the estimate.\n",
      "tipping alpha: log odds ratio of answering per unit of the current ",
      "outcome (selection model) at which it does, as a multiple of the ",
      "fitted effect of the last observed outcome on answering.\n",
      "\"-\": none within the search (or nobody had dropped out).\n"))
  }
  invisible(x)
}
