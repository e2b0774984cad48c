# Tipping points (pattern mixture): dropouts' outcomes are their MAR
# values shifted by delta; the estimate moves in closed form, and the delta
# at which the conclusion flips is a root of a smooth function of delta.
# print() and plot() methods are in sensitivity.R.

#' Tipping-point analysis by delta adjustment
#'
#' How far would the outcomes of the people who stopped answering have to
#' differ from what the attrition weights assume before a conclusion
#' changes? `tipping_point()` takes a table of wave means, changes or group
#' differences, shifts the missing outcomes of every person of the baseline
#' sample who has none at the estimate's wave by `delta` away from their
#' missing-at-random (MAR) value, and reports the estimate, interval and
#' p-value over a grid of `delta`, and for each row the `delta` at which the
#' conclusion tips.
#'
#' @section The adjustment:
#' This is the pattern-mixture "delta adjustment" (Little, 1994; Ratitch,
#' O'Kelly and Tosiello, 2013). Write \eqn{p} for the base-weighted share
#' of a group's baseline sample whose outcome enters the estimate (who
#' answered the wave and gave a value; for a change, who gave a value at
#' both waves) and \eqn{N_d} for the group's base-weighted size.
#'
#' * **Means and changes.** An attrition-weighted mean \eqn{\hat\mu}
#'   estimates \eqn{p E[Y \mid R = 1] + (1 - p) E[Y \mid R = 0]} with the
#'   dropouts' mean at its MAR value. Shifting each dropout by `delta`
#'   gives \eqn{\hat\mu(\delta) = \hat\mu + \delta (1 - \hat p)}, so
#'   `delta = 0` reproduces the input exactly. The influence values of
#'   \eqn{\hat\mu(\delta)} are those of \eqn{\hat\mu} plus `delta` times
#'   those of \eqn{1 - \hat p}, \eqn{-d_i (R_i - \hat p) / N_d} for the
#'   group's baseline people, so the variance counts the estimated
#'   weights, the estimated share of dropouts and their covariance. Being
#'   quadratic in `delta`, it is exact from the small cross-products of
#'   these influence values that [wave_means()] and [panel_change()] keep
#'   in the table (they keep no per-person values), so `w` is not needed.
#' * **Proportions** (factor levels, logical or 0/1 outcomes of
#'   [wave_means()]). `delta` is on the log-odds scale. Each dropout's MAR
#'   probability \eqn{m_i} comes from the sequential outcome models of the
#'   weights' own stages (for monotone weights): the indicator at the
#'   estimate's wave is regressed (quasi-binomial, base weights) on that
#'   wave's stage design, covariates and `history` included, among its
#'   respondents, and each earlier stage's regression takes the next
#'   one's predictions as its outcome, so a person who dropped out after
#'   wave \eqn{k} is predicted from their covariates and last observed
#'   values (Bang and Robins, 2005). (Weights with `monotone = FALSE` use
#'   one regression on the weights' covariates among the wave's
#'   respondents.) The \eqn{m_i} are then moved by one constant on the
#'   logit scale so that the observed values and the dropouts'
#'   probabilities mix to the attrition-weighted estimate exactly. Each
#'   becomes \eqn{\mathrm{plogis}(\mathrm{qlogis}(m_i) + \delta)}, and
#'   \eqn{\hat\mu(\delta) = \hat\mu + \sum_{dropouts} d_i
#'   (\mathrm{plogis}(\mathrm{qlogis}(m_i) + \delta) - m_i) / N_d}: the
#'   base-weighted mix of the observed values and the shifted
#'   probabilities, so every `delta` gives an estimate inside the Manski
#'   bounds of [attrition_bounds()] and `delta = 0` gives the input. The
#'   variance adds the influence of this sum with the \eqn{m_i} held fixed:
#'   the uncertainty of the outcome regressions is not counted, which
#'   understates the variance a little when `delta` is far from zero
#'   (at `delta = 0` the term vanishes). Each category of a factor is
#'   shifted on its own (category against the rest), so shifted
#'   proportions of a factor's categories need not add up to one.
#' * **Differences between groups** ([compare_groups()] tables):
#'   \eqn{\hat\mu_a(\delta_a) - \hat\mu_b(\delta_b)}, with the same
#'   `delta` for every group by default, or `delta` times `group_delta[g]`
#'   for group \eqn{g}; the variance comes from the influence values of
#'   both groups' estimates, so shared weights are accounted for.
#'
#' Groups must be baseline covariates (named in `panel_data(baseline = )`),
#' as the dropouts' groups must be known. For tables with `se = "naive"`
#' from a panel with a `frame`, the people who never answered join the
#' units of the variance (the share of dropouts depends on them), which
#' changes the standard error at `delta = 0` by the factor
#' \eqn{\sqrt{N (n - 1) / (n (N - 1))}} for \eqn{n} people who answered
#' and \eqn{N} who started; otherwise `delta = 0` gives the input's
#' estimates and standard errors.
#'
#' @section Tipping points:
#' With `criterion = "interval"` (the default for changes and group
#' differences) the tipping point is the `delta` nearest zero at which the
#' interval first includes `null`; if it already includes `null` at
#' `delta = 0`, the `delta` nearest zero at which it would exclude it. With
#' `criterion = "estimate"` (the default for wave means) it is the `delta`
#' at which the estimate crosses `null`. It is found by [stats::uniroot()]
#' on the continuous function of `delta`, not read off the grid: the
#' search moves outward from zero on both sides, doubling its step from
#' 1/4096 of the search range, until the sign changes, and gives `NA` with
#' a note when it does not within `search` times the largest `|delta|` of
#' the grid. `direction` says whether the dropouts' outcomes must be
#' higher (`"positive"`) or lower (`"negative"`) than their MAR values.
#'
#' @param x A table from [wave_means()] or [panel_change()], or a
#'   comparison from [compare_groups()] of such a table; as returned (not
#'   subset).
#' @param delta Numeric grid of shifts: on the outcome's scale for means
#'   and changes, on the log-odds scale for proportions.
#' @param group_delta Optional named numeric vector of multipliers of
#'   `delta`, one per group (for tables made with `by =`): group `g`'s
#'   dropouts are shifted by `delta * group_delta[g]`. Groups not named
#'   are not shifted; `c(integrated = 1)` shifts the `integrated` group
#'   only.
#' @param null The value the conclusion is about: `0` by default for
#'   changes and differences; required for wave means (for example the
#'   first wave's mean). One number, or one per row of `x`.
#' @param conf_level Confidence level of the intervals.
#' @param level Deprecated name of `conf_level`.
#' @param criterion `"interval"` or `"estimate"`; see Tipping points.
#'   Defaults to `"estimate"` for wave means and `"interval"` otherwise.
#' @param search Tipping points are searched for up to `search` times the
#'   largest `|delta|` of the grid on either side.
#' @param w For proportions: the `pa_weights` object the table was made
#'   from. A table keeps no per-person values, so the dropouts' MAR
#'   probabilities and the influence values are recomputed from `w` (by
#'   making the table again); `w` is checked against a record of the
#'   weights kept in the table (number of people, sum and sum of squares
#'   of the weights at each wave), and a different one is an error of
#'   class `panelattrition_arg_error`. Not needed for means, changes and
#'   their differences.
#' @param benchmark The unit in which tipping points are also reported:
#'   `NULL` (default) for the weighted standard deviation of the outcome
#'   among the row's respondents (of the change, for changes; the root mean
#'   square of the two groups' for differences), or a positive number.
#'
#' @section Benchmarked scale:
#' `delta` alone has no scale a reader can judge, so the `tipping`
#' attribute also gives `benchmark` (the unit) and `tipping_benchmark`
#' (the tipping `delta` in standard deviations of the outcome, or in the
#' unit given), for changes and differences `tipping_share` (the tipping
#' `delta` as a share of the estimate: -0.6 reads "each dropout's change
#' would have to be 60\% of the observed change lower than under MAR"),
#' and for proportions `respondent_rate` (base-weighted rate among the
#' group's respondents with a value), `dropout_rate` (the dropouts' MAR
#' rate) and `dropout_rate_tipping` (their rate at the tipping point).
#'
#' @return A data frame of class `pa_tipping`, one row per row of `x` and
#'   value of `delta`: the key columns of `x` (`outcome`, `level`, `from`,
#'   `wave`, the group or `contrast`), `delta`, `estimate`, `std_error`,
#'   `conf_low`, `conf_high` (normal intervals, on the logit scale for
#'   proportions) and `p_value` (two-sided z test of `null`). Attribute
#'   `tipping`: one row per row of `x` with the key columns, `estimate` at
#'   `delta = 0`, `null`, `criterion`, `conclusion`, `tipping_delta`,
#'   `direction`, `note`, and the columns of Benchmarked scale.
#'
#' @references
#' Bang, H. and Robins, J. M. (2005). Doubly robust estimation in missing
#' data and causal inference models. *Biometrics*, 61, 962-973.
#'
#' Little, R. J. A. (1994). A class of pattern-mixture models for
#' normal incomplete data. *Biometrika*, 81, 471-483.
#'
#' Ratitch, B., O'Kelly, M. and Tosiello, R. (2013). Missing data in
#' clinical trials: from clinical assumptions to statistical analysis
#' using pattern mixture models. *Pharmaceutical Statistics*, 12, 337-347.
#'
#' Rotnitzky, A., Robins, J. M. and Scharfstein, D. O. (1998).
#' Semiparametric regression for repeated outcomes with nonignorable
#' nonresponse. *Journal of the American Statistical Association*, 93,
#' 1321-1339.
#' @seealso [tilt_sensitivity()] for a selection-model analysis,
#'   [attrition_bounds()] for bounds that assume nothing about dropouts.
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
#' tp <- tipping_point(ch, delta = seq(-10, 10, by = 2))
#' tp
#' attr(tp, "tipping")
#' plot(tp)
#'
#' # dropouts of one group only
#' m <- wave_means(w, "wellbeing", by = "group")
#' cmp <- compare_groups(m, ref = "collective")
#' tp2 <- tipping_point(cmp, delta = c(-10, 0, 10),
#'                      group_delta = c(integrated = 1))
#' attr(tp2, "tipping")
#'
#' # proportions need the weights the table was made from
#' e <- wave_means(w, "employment")
#' tipping_point(e, delta = c(-1, 0, 1), null = 0.5, w = w)
tipping_point <- function(x, delta, group_delta = NULL, null = NULL,
                          conf_level = attr(x, "conf_level"),
                          criterion = NULL, search = 10, benchmark = NULL,
                          level = NULL, w = NULL) {
  check_required("x")
  if (missing(delta)) {
    pa_abort(paste("`delta` is missing: give the shifts to try, such as",
                   "`delta = seq(-1, 1, by = 0.25)` (on the outcome's scale",
                   "for means, the log-odds scale for proportions)."),
             class = "panelattrition_arg_error", argument = "delta")
  }
  src <- tipping_source(x)
  tab <- src$table
  if (!is.null(benchmark) && (!is.numeric(benchmark) ||
                              length(benchmark) != 1L || is.na(benchmark) ||
                              !is.finite(benchmark) || !(benchmark > 0))) {
    arg_error("benchmark", "NULL (the outcome's SD) or a positive number",
              benchmark)
  }
  if (!is.numeric(delta) || length(delta) == 0L || anyNA(delta) ||
      any(!is.finite(delta))) {
    arg_error("delta", "a numeric vector of finite shifts", delta)
  }
  delta <- sort(unique(as.double(delta)))
  level <- resolve_conf_level(conf_level, level, "tipping_point")
  if (!is.numeric(search) || length(search) != 1L || is.na(search) ||
      !is.finite(search) || search < 1) {
    arg_error("search", "a number of at least 1", search)
  }
  means_table <- src$kind == "wave_means" && !src$comparison
  criterion <- if (is.null(criterion)) {
    if (means_table) "estimate" else "interval"
  } else {
    match_choice(criterion, c("interval", "estimate"), "criterion")
  }
  n_rows <- nrow(x)
  if (is.null(null)) {
    if (means_table) {
      pa_abort(
        paste("`null` must be given for wave means: the value whose",
              "crossing would change the conclusion, such as the first",
              "wave's mean."),
        class = "panelattrition_arg_error", argument = "null"
      )
    }
    null <- 0
  }
  # suppressed rows have no estimate, so their null may be NA
  supp <- if ("suppressed" %in% names(x)) x$suppressed else rep(FALSE, n_rows)
  bad_null <- if (length(null) == n_rows) {
    (is.na(null) | !is.finite(null)) & !supp
  } else {
    is.na(null) | !is.finite(null)
  }
  if (!is.numeric(null) || !length(null) %in% c(1L, n_rows) ||
      any(bad_null)) {
    arg_error("null", sprintf(paste("one finite number or %d (one per row of",
                                    "`x`; NA allowed for suppressed rows)"),
                              n_rows), null)
  }
  null <- rep_len(as.double(null), n_rows)

  by <- attr(tab, "by")
  mult <- group_multipliers(tab, by, group_delta)
  comps <- tipping_components(tab, src$used, w)

  z <- stats::qnorm(1 - (1 - level) / 2)
  # each row of x as a signed sum of estimates of `tab`
  terms <- if (src$comparison) {
    lapply(seq_len(n_rows), function(r) {
      list(list(row = src$pairs$row_a[r], sign = 1),
           list(row = src$pairs$row_b[r], sign = -1))
    })
  } else {
    lapply(seq_len(n_rows), function(r) list(list(row = r, sign = 1)))
  }
  proportion <- vapply(terms, function(tm) {
    length(tm) == 1L &&
      identical(comps[[tm[[1]]$row]]$type, "proportion")
  }, logical(1))
  evaluate <- function(r, dlt) {
    cps <- lapply(terms[[r]], function(tm) comps[[tm$row]])
    if (any(vapply(cps, is.null, logical(1)))) return(c(NA_real_, NA_real_))
    if (all(vapply(cps, function(cp) is.null(cp$influence), logical(1)))) {
      return(linear_shift(cps, terms[[r]], dlt, mult, attr(comps, "cross")))
    }
    est <- 0
    infl <- 0
    for (tm in terms[[r]]) {
      cp <- comps[[tm$row]]
      if (is.null(cp)) return(c(NA_real_, NA_real_))
      sh <- component_shift(cp, dlt * mult[tm$row])
      est <- est + tm$sign * (cp$estimate + sh$value)
      infl <- infl + tm$sign * (cp$influence + sh$influence)
    }
    c(est, sqrt(influence_vcov(matrix(infl, ncol = 1L), attr(comps, "design"),
                               attr(comps, "people"))[1L, 1L]))
  }
  interval <- function(r, es) {
    if (anyNA(es)) return(c(NA_real_, NA_real_))
    if (proportion[r]) {
      n_r <- comps[[terms[[r]][[1]]$row]]$n
      drop(proportion_interval(es[1], es[2], n_r, level, "logit"))
    } else {
      es[1] + c(-1, 1) * z * es[2]
    }
  }

  keys <- src$keys
  grid <- vector("list", n_rows)
  tips <- vector("list", n_rows)
  limit <- search * max(abs(delta))
  for (r in seq_len(n_rows)) {
    vals <- vapply(delta, function(dl) {
      es <- evaluate(r, dl)
      c(es, interval(r, es))
    }, numeric(4))
    p_value <- 2 * stats::pnorm(-abs((vals[1, ] - null[r]) / vals[2, ]))
    head_cols <- x[rep(r, length(delta)), keys, drop = FALSE]
    class(head_cols) <- "data.frame"
    grid[[r]] <- cbind(head_cols, data.frame(
      delta = delta, estimate = vals[1, ], std_error = vals[2, ],
      conf_low = vals[3, ], conf_high = vals[4, ], p_value = p_value
    ))
    tips[[r]] <- tipping_row(
      function(dl) evaluate(r, dl), function(es) interval(r, es),
      null[r], criterion, limit
    )
  }
  out <- do.call(rbind, grid)
  rownames(out) <- NULL
  head_cols <- x[seq_len(n_rows), keys, drop = FALSE]
  class(head_cols) <- "data.frame"
  tipping <- cbind(head_cols, do.call(rbind, tips))
  rownames(tipping) <- NULL
  tipping <- cbind(tipping, tipping_scales(comps, terms, proportion,
                                           tipping$tipping_delta, mult,
                                           tipping$estimate, benchmark,
                                           src$kind, src$comparison))
  if ("level" %in% names(out) && all(is.na(out$level))) {
    out$level <- NULL
    tipping$level <- NULL
  }
  structure(out, class = c("pa_tipping", "data.frame"), tipping = tipping,
            kind = if (src$comparison) "differences" else src$kind,
            by = by, criterion = criterion, conf_level = level,
            group_delta = group_delta,
            scale = if (any(proportion)) "log-odds" else "outcome")
}

# The tipping points on scales a reader can judge: `benchmark` the unit
# of delta (the weighted SD of the outcome for means, of the change for
# changes, the root mean square of the two groups' SDs for differences, or
# the number given) and tipping_benchmark = tipping_delta / benchmark;
# tipping_share = tipping_delta / estimate for changes and differences
# (how much of the observed change each dropout's value would have to
# move); for proportions the respondents' rate, the dropouts' MAR rate and
# their rate at the tipping point (base-weighted, the group's baseline
# people).
tipping_scales <- function(comps, terms, proportion, tip, mult, estimate,
                           benchmark, kind, comparison) {
  n_rows <- length(terms)
  unit <- share <- resp_rate <- drop_rate <- drop_tip <-
    rep(NA_real_, n_rows)
  for (r in seq_len(n_rows)) {
    cps <- lapply(terms[[r]], function(tm) comps[[tm$row]])
    if (any(vapply(cps, is.null, logical(1)))) next
    sds <- vapply(cps, function(cp) cp$sd %||% NA_real_, numeric(1))
    unit[r] <- if (!is.null(benchmark)) benchmark else if (proportion[r]) {
      NA_real_
    } else {
      sqrt(mean(sds^2))
    }
    if (kind == "panel_change" || comparison) {
      share[r] <- tip[r] / estimate[r]
    }
    if (proportion[r]) {
      cp <- cps[[1L]]
      drop_ <- !cp$answered
      dd <- cp$d[drop_]
      m <- cp$prob[drop_]
      drop_rate[r] <- sum(dd * m) / sum(dd)
      resp_rate[r] <- (cp$estimate * cp$n_d - sum(dd * m)) /
        (cp$n_d - sum(dd))
      if (!is.na(tip[r])) {
        shifted <- stats::plogis(stats::qlogis(m) +
                                   tip[r] * mult[terms[[r]][[1L]]$row])
        drop_tip[r] <- sum(dd * shifted) / sum(dd)
      }
    }
  }
  out <- data.frame(benchmark = unit, tipping_benchmark = tip / unit,
                    tipping_share = share)
  if (any(proportion)) {
    out$respondent_rate <- resp_rate
    out$dropout_rate <- drop_rate
    out$dropout_rate_tipping <- drop_tip
  }
  out
}

# What tipping_point() was given: the table of estimates behind it, which
# of its rows are used, and the key columns of the rows of `x`.
tipping_source <- function(x) {
  kinds <- c("wave_means", "panel_change")
  must <- "a table from wave_means(), panel_change() or compare_groups()"
  if (inherits(x, "pa_comparison")) {
    tab <- attr(x, "estimates")
    pairs <- attr(x, "pairs")
    if (!inherits(tab, "pa_estimates") || is.null(pairs) ||
        nrow(pairs) != nrow(x)) {
      pa_abort(
        paste("`x` has lost the estimates its comparisons were made from;",
              "pass the result of compare_groups() as it was returned."),
        class = "panelattrition_arg_error", argument = "x"
      )
    }
    kind <- attr(tab, "kind") %||% ""
    if (!kind %in% kinds) arg_error("x", must, x)
    keys <- intersect(c("outcome", "level", "from", "wave", "contrast"),
                      names(x))
    return(list(table = tab, kind = kind, comparison = TRUE, pairs = pairs,
                used = sort(unique(c(pairs$row_a, pairs$row_b))),
                keys = keys))
  }
  if (!inherits(x, "pa_estimates")) arg_error("x", must, x)
  kind <- attr(x, "kind") %||% ""
  if (!kind %in% kinds) arg_error("x", must, x)
  keys <- intersect(c("outcome", "level", "from", "wave", attr(x, "by")),
                    names(x))
  list(table = x, kind = kind, comparison = FALSE, pairs = NULL,
       used = seq_len(nrow(x)), keys = keys)
}

# Multiplier of delta for each row of the table of estimates.
group_multipliers <- function(tab, by, group_delta) {
  if (is.null(group_delta)) return(rep(1, nrow(tab)))
  if (is.null(by)) {
    pa_abort("`group_delta` needs a table made with `by =`; this one has no groups.",
             class = "panelattrition_arg_error", argument = "group_delta")
  }
  if (!is.numeric(group_delta) || length(group_delta) == 0L ||
      anyNA(group_delta) || any(!is.finite(group_delta)) ||
      is.null(names(group_delta)) || any(names(group_delta) == "") ||
      anyDuplicated(names(group_delta))) {
    arg_error("group_delta",
              "a named numeric vector of multipliers, one per group", group_delta)
  }
  groups <- as.character(tab[[by]])
  unknown <- setdiff(names(group_delta), groups)
  if (length(unknown)) {
    pa_abort(
      sprintf("`group_delta` names %s, not %s of `%s`. The groups are %s.",
              format_names(unknown),
              if (length(unknown) == 1L) "a group" else "groups", by,
              format_names(unique(groups))),
      class = "panelattrition_arg_error", argument = "group_delta",
      groups = unknown
    )
  }
  m <- unname(group_delta[groups])
  m[is.na(m)] <- 0
  m
}

# For each estimate of `tab` used, what its shift needs. Means and
# changes: the estimate, the share of its group's dropouts (the slope of
# the estimate in delta) and its position in the table's cross-product
# matrices (lean_tipping()), which come along as attribute `cross`.
# Proportions: the per-person pieces, recomputed from the weights `w`
# (people_components()).
tipping_components <- function(tab, used, w = NULL) {
  rec <- attr(tab, "tipping")
  if (is.null(rec) || is.null(rec$redo)) {
    pa_abort(
      paste("`x` has lost the record of its estimates that delta",
            "adjustment needs; pass the table as wave_means() or",
            "panel_change() returned it (or a subset of its rows), not a copy",
            "rebuilt from a data frame."),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
  pos <- table_rows(tab, "tipping_point()")
  if (!is.null(rec$error)) stop(rec$error)
  comps <- vector("list", nrow(tab))
  need <- integer()
  for (k in used) {
    if (isTRUE(tab$suppressed[k]) || is.na(tab$estimate[k])) next
    row <- rec$rows[[pos[k]]]
    if (is.null(row)) next
    if (!is.null(row$error)) stop(row$error)
    if (row$type == "mean") {
      comps[[k]] <- list(
        type = "mean", estimate = tab$estimate[k], n = tab$n[k],
        share = row$share, slot = pos[k],
        sd = if (!is.null(tab$sd_change)) tab$sd_change[k] else row$sd %||% NA_real_
      )
    } else {
      need <- c(need, k)
    }
  }
  attr(comps, "cross") <- rec$cross
  if (!length(need)) return(comps)
  full <- people_table(tab, w)
  keys <- attr(tab, "rows")$key[pos[need]]
  at <- match(keys, attr(full, "rows")$key)
  if (anyNA(at) ||
      !isTRUE(all.equal(full$estimate[at], tab$estimate[need],
                        tolerance = 1e-10))) {
    pa_abort(
      paste("`w` does not give the estimates of `x` again: pass `w = ` the",
            "pa_weights object given to the function that made the table."),
      class = "panelattrition_arg_error", argument = "w"
    )
  }
  people <- people_components(full, at)
  for (i in seq_along(need)) {
    cp <- people[[at[i]]]
    if (is.null(cp)) next
    cp$estimate <- tab$estimate[need[i]]
    cp$n <- tab$n[need[i]]
    comps[[need[i]]] <- cp
  }
  attr(comps, "design") <- attr(people, "design")
  attr(comps, "people") <- attr(people, "people")
  comps
}

# A shifted signed sum of mean rows from the table's cross-products: the
# estimate sum s_j (mu_j + delta m_j share_j), and its standard error
# from the quadratic form s' B s + 2 s' C b + b' V b, b_j = s_j delta m_j
# (see lean_tipping()).
linear_shift <- function(cps, tms, dlt, mult, cross) {
  est <- 0
  for (j in seq_along(tms)) {
    est <- est + tms[[j]]$sign *
      (cps[[j]]$estimate + dlt * mult[tms[[j]]$row] * cps[[j]]$share)
  }
  sg <- vapply(tms, function(tm) tm$sign, numeric(1))
  b <- sg * dlt * vapply(tms, function(tm) mult[tm$row], numeric(1))
  slot <- vapply(cps, function(cp) cp$slot, integer(1))
  v <- drop(crossprod(sg, cross$B[slot, slot, drop = FALSE] %*% sg) +
              2 * crossprod(sg, cross$C[slot, slot, drop = FALSE] %*% b) +
              crossprod(b, cross$V[slot, slot, drop = FALSE] %*% b))
  c(est, sqrt(max(v, 0)))
}

# The per-person components of rows `used` of a table made with its
# per-person values (people_table()): the estimate and its influence
# values over the people used for variances, and from the table's
# material (tipping_material()) the group's baseline people with their
# base weights, who among them has a value, and for proportions the
# dropouts' MAR probabilities.
people_components <- function(tab, used) {
  mat <- attr(tab, "tipping")
  pos <- table_rows(tab, "tipping_point()")
  infl <- table_influence(tab, "tipping_point()")
  if (!is.null(mat$error)) stop(mat$error)
  people <- sort(union(infl$people, unlist(mat$groups, use.names = FALSE)))
  d <- numeric(mat$n_all)
  d[] <- mat$d
  full <- matrix(0, mat$n_all, ncol(infl$values))
  full[infl$people, ] <- infl$values
  full <- full[people, , drop = FALSE]
  comps <- vector("list", nrow(tab))
  for (k in used) {
    if (isTRUE(tab$suppressed[k]) || is.na(tab$estimate[k])) next
    row <- mat$rows[[pos[k]]]
    if (is.null(row)) next
    if (!is.null(row$error)) stop(row$error)
    grp <- mat$groups[[row$group]]
    comps[[k]] <- list(
      type = row$type, estimate = tab$estimate[k], influence = full[, k],
      n = tab$n[k], pos = match(grp, people), d = d[grp],
      answered = as.logical(rawToBits(row$answered))[seq_along(grp)],
      n_d = sum(d[grp]), prob = row$prob, n_people = length(people),
      sd = if (!is.null(tab$sd_change)) tab$sd_change[k] else row$sd %||% NA_real_
    )
  }
  # the sampling design of the panel's people, if any (its strata and PSUs
  # are person-level codes, no answers)
  if (!is.null(mat$design)) {
    attr(comps, "design") <- mat$design
    attr(comps, "people") <- people
  }
  comps
}

# The shift of one estimate at a given delta and its influence values:
# each dropout's shift s_i (delta for means, the change of its predicted
# probability for proportions), A = sum d s / N_d, influence d (s - A) / N_d.
component_shift <- function(cp, delta) {
  s <- if (cp$type == "mean") {
    ifelse(cp$answered, 0, delta)
  } else {
    m <- cp$prob
    ifelse(cp$answered, 0, stats::plogis(stats::qlogis(m) + delta) - m)
  }
  value <- sum(cp$d * s) / cp$n_d
  infl <- numeric(cp$n_people)
  infl[cp$pos] <- cp$d * (s - value) / cp$n_d
  list(value = value, influence = infl)
}

# The tipping point of one row: the functions whose sign at delta = 0 is
# the current conclusion, searched on both sides; the root nearest zero.
tipping_row <- function(evaluate, interval, null, criterion, limit) {
  es0 <- evaluate(0)
  result <- function(tip, direction, note, conclusion) {
    data.frame(estimate = es0[1], null = null, criterion = criterion,
               conclusion = conclusion, tipping_delta = tip,
               direction = direction, note = note,
               stringsAsFactors = FALSE)
  }
  if (anyNA(es0)) {
    return(result(NA_real_, NA_character_, "no estimate (suppressed)",
                  NA_character_))
  }
  if (criterion == "estimate") {
    conclusion <- if (es0[1] > null) "above null" else if (es0[1] < null)
      "below null" else "at null"
    fns <- list(function(dl) evaluate(dl)[1] - null)
    note <- ""
  } else {
    lims <- interval(es0)
    if (lims[1] > null) {
      conclusion <- "excludes null"
      fns <- list(function(dl) interval(evaluate(dl))[1] - null)
    } else if (lims[2] < null) {
      conclusion <- "excludes null"
      fns <- list(function(dl) null - interval(evaluate(dl))[2])
    } else {
      conclusion <- "includes null"
      fns <- list(function(dl) interval(evaluate(dl))[1] - null,
                  function(dl) null - interval(evaluate(dl))[2])
    }
    note <- if (conclusion == "includes null") {
      "interval includes the null at delta = 0: delta at which it would exclude it"
    } else ""
  }
  if (!(limit > 0)) {
    return(result(NA_real_, NA_character_,
                  "no search: the grid of delta has no value but 0",
                  conclusion))
  }
  flat <- vapply(c(-limit, limit), function(dl) {
    isTRUE(all.equal(evaluate(dl), es0, tolerance = 1e-12))
  }, logical(1))
  if (all(flat)) {
    return(result(NA_real_, NA_character_,
                  paste("delta does not move this estimate (no dropouts, or",
                        "`group_delta` shifts neither group)"),
                  conclusion))
  }
  roots <- vapply(fns, search_root, numeric(1), limit = limit)
  if (all(is.na(roots))) {
    return(result(NA_real_, NA_character_,
                  sprintf("no tipping point for |delta| up to %s",
                          format(signif(limit, 4))),
                  conclusion))
  }
  tip <- roots[which.min(abs(roots))]
  direction <- if (tip > 0) "positive" else if (tip < 0) "negative" else "none"
  result(tip, direction, note, conclusion)
}

# The root of f nearest zero: steps outward on each side, doubling from
# limit / 4096 up to limit, until f changes sign, then uniroot() within
# the last step.
search_root <- function(f, limit) {
  f0 <- f(0)
  if (is.na(f0)) return(NA_real_)
  if (f0 == 0) return(0)
  steps <- limit * 2^-(12:0)
  best <- NA_real_
  for (side in c(1, -1)) {
    prev <- 0
    for (h in steps) {
      if (!is.na(best) && h > abs(best)) break
      at <- side * h
      fh <- f(at)
      if (is.na(fh)) break
      if (fh == 0 || sign(fh) != sign(f0)) {
        root <- if (fh == 0) at else {
          stats::uniroot(f, sort(c(prev, at)),
                         tol = 1e-12 * max(1, limit), maxiter = 1000)$root
        }
        if (is.na(best) || abs(root) < abs(best)) best <- root
        break
      }
      prev <- at
    }
  }
  best
}
