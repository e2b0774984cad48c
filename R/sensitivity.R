# Sensitivity of attrition-weighted estimates to dropout that depends on
# the outcome itself (missing not at random).
#
# Three views, from the most to the least assumption-laden:
# * tipping_point(): pattern mixture. Dropouts' outcomes are their MAR
#   values shifted by delta; the estimate moves in closed form, so its
#   influence values are those of the MAR estimate plus delta times those
#   of the shift, and the delta at which the conclusion flips is a root of a
#   smooth function of delta.
# * tilt_sensitivity(): selection model. The chance of answering depends on
#   the outcome through exp(alpha * y); for each alpha the respondents are
#   re-calibrated to the baseline sample's covariate totals (raking, in C)
#   and the mean's sandwich stacks that calibration.
# * attrition_bounds(): no model for the dropouts at all (Manski), with
#   Imbens-Manski intervals for the identified set.
# Every variance uses people as units: n / (n - 1) times the sum of centred
# squares of influence values, as influence_vcov() does for the estimates.

# Tipping points ------------------------------------------------------------

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
#'   \eqn{\hat\mu(\delta)} are those of \eqn{\hat\mu} (kept by
#'   [wave_means()] and [panel_change()]) plus `delta` times those of
#'   \eqn{1 - \hat p}, \eqn{-d_i (R_i - \hat p) / N_d} for the group's
#'   baseline people, so the variance counts the estimated weights, the
#'   estimated share of dropouts and their covariance.
#' * **Proportions** (factor levels, logical or 0/1 outcomes of
#'   [wave_means()]). `delta` is on the log-odds scale: each dropout's MAR
#'   probability \eqn{m_i}, predicted by a logistic (quasi-binomial)
#'   regression of the indicator on the weights' covariates among the
#'   wave's respondents (weighted by the base weights), becomes
#'   \eqn{\mathrm{plogis}(\mathrm{qlogis}(m_i) + \delta)}, and
#'   \eqn{\hat\mu(\delta) = \hat\mu + \sum_{dropouts} d_i
#'   (\mathrm{plogis}(\mathrm{qlogis}(m_i) + \delta) - m_i) / N_d}. The
#'   variance adds the influence of this sum with the \eqn{m_i} held fixed:
#'   the uncertainty of the outcome regression is not counted, which
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
#' @param level Confidence level of the intervals.
#' @param criterion `"interval"` or `"estimate"`; see Tipping points.
#'   Defaults to `"estimate"` for wave means and `"interval"` otherwise.
#' @param search Tipping points are searched for up to `search` times the
#'   largest `|delta|` of the grid on either side.
#'
#' @return A data frame of class `pa_tipping`, one row per row of `x` and
#'   value of `delta`: the key columns of `x` (`outcome`, `level`, `from`,
#'   `wave`, the group or `contrast`), `delta`, `estimate`, `std_error`,
#'   `conf_low`, `conf_high` (normal intervals, on the logit scale for
#'   proportions) and `p_value` (two-sided z test of `null`). Attribute
#'   `tipping`: one row per row of `x` with the key columns, `estimate` at
#'   `delta = 0`, `null`, `criterion`, `tipping_delta`, `direction` and
#'   `note`.
#'
#' @references
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
tipping_point <- function(x, delta, group_delta = NULL, null = NULL,
                          level = attr(x, "conf_level"), criterion = NULL,
                          search = 10) {
  if (missing(delta)) {
    pa_abort(paste("`delta` is missing: give the shifts to try, such as",
                   "`delta = seq(-1, 1, by = 0.25)` (on the outcome's scale",
                   "for means, the log-odds scale for proportions)."),
             class = "panelattrition_arg_error", argument = "delta")
  }
  src <- tipping_source(x)
  tab <- src$table
  if (!is.numeric(delta) || length(delta) == 0L || anyNA(delta) ||
      any(!is.finite(delta))) {
    arg_error("delta", "a numeric vector of finite shifts", delta)
  }
  delta <- sort(unique(as.double(delta)))
  check_sensitivity_level(level)
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
  comps <- tipping_components(tab, src$used)

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
    est <- 0
    infl <- 0
    for (tm in terms[[r]]) {
      cp <- comps[[tm$row]]
      if (is.null(cp)) return(c(NA_real_, NA_real_))
      sh <- component_shift(cp, dlt * mult[tm$row])
      est <- est + tm$sign * (cp$estimate + sh$value)
      infl <- infl + tm$sign * (cp$influence + sh$influence)
    }
    c(est, sqrt(influence_vcov(matrix(infl, ncol = 1L))[1L, 1L]))
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

# For each estimate of `tab` used, what its shift needs: the estimate and
# its influence values over the people used for variances (from the
# table), and from the table's compact record of its people
# (tipping_material(), made with the table): the group's baseline people
# with their base weights, who among them has a value, and for proportions
# the dropouts' MAR probabilities.
tipping_components <- function(tab, used) {
  mat <- attr(tab, "tipping")
  infl <- attr(tab, "influence")
  if (is.null(mat) || is.null(infl)) {
    pa_abort(
      paste("`x` has lost the influence values and the record of its people",
            "it was estimated with; pass the table as wave_means() or",
            "panel_change() returned it (or a subset of its rows), not a copy",
            "rebuilt from a data frame."),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
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
      n_d = sum(d[grp]), prob = row$prob, n_people = length(people)
    )
  }
  comps
}

# What tipping_point() needs of the people behind each row of a table of
# wave means or changes, made from the weights when the table is made so
# that the table need not carry the panel: the baseline people and their
# base weights, and per row the group's baseline people, those with a
# value, and for proportions the MAR probabilities of the group's
# dropouts. Conditions that would stop a tipping analysis are kept and
# raised only if one is asked for. Suppressed rows get nothing.
tipping_material <- function(w, tab, kind, by, influence) {
  if (is.null(influence) || !kind %in% c("wave_means", "panel_change")) {
    return(NULL)
  }
  n_all <- nrow(w$weights)
  base <- w$baseline_rows
  d <- numeric(n_all)
  d[base] <- w$base_weights[base]
  # equal base weights are kept as one number
  if (length(unique(d)) == 1L) d <- d[1L]
  # naive variances leave out people who never answered; the share of
  # dropouts needs every baseline person (see tipping_components())
  out <- list(n_all = n_all, d = d, rows = vector("list", nrow(tab)),
              groups = list(), error = NULL)
  rows <- panel_rows(w)
  group_rows <- group_values(w, by, rows)
  group_base <- NULL
  if (!is.null(by)) {
    if (!by %in% names(w$panel$baseline)) {
      out$error <- structure(
        class = c("panelattrition_arg_error", "panelattrition_error",
                  "error", "condition"),
        list(message = sprintf(paste("Delta adjustment needs the groups of",
                                     "the people who dropped out, so `%s`",
                                     "must be a baseline covariate (named in",
                                     "panel_data(baseline = ))."), by),
             call = NULL, argument = "x")
      )
      return(out)
    }
    group_base <- as.character(w$panel$baseline[[by]])
  }
  waves <- w$panel$waves
  fits <- list()
  for (k in seq_len(nrow(tab))) {
    if (isTRUE(tab$suppressed[k]) || is.na(tab$estimate[k])) next
    out$rows[[k]] <- tryCatch(
      tipping_row_material(w, tab, k, kind, by, rows, group_rows, group_base,
                           base, waves, fits),
      panelattrition_error = function(e) list(error = e)
    )
    gname <- out$rows[[k]]$group
    if (!is.null(gname) && is.null(out$groups[[gname]])) {
      out$groups[[gname]] <- out$rows[[k]]$grp
    }
    if (!is.null(out$rows[[k]]$fit_key)) {
      fits[[out$rows[[k]]$fit_key]] <- out$rows[[k]]$fit
    }
    # who among the group's baseline people has a value, one bit each
    if (is.null(out$rows[[k]]$error)) {
      r <- out$rows[[k]]
      has <- r$grp %in% r$members
      has <- c(has, logical((8L - length(has) %% 8L) %% 8L))
      out$rows[[k]] <- list(type = r$type, group = r$group,
                            answered = packBits(has), prob = r$prob)
    }
  }
  out
}

tipping_row_material <- function(w, tab, k, kind, by, rows, group_rows,
                                 group_base, base, waves, fits) {
  n_all <- nrow(w$weights)
  v <- tab$outcome[k]
  y <- w$panel$data[[v]]
  lv <- if ("level" %in% names(tab)) tab$level[k] else NA
  t1 <- match(as.character(tab$wave[k]), waves)
  if (!is.na(lv)) y <- as.numeric(y == lv)
  g <- if (is.null(by)) NULL else as.character(tab[[by]][k])
  in_group <- if (is.null(g)) TRUE else as.character(group_rows) == g
  if (kind == "panel_change") {
    t0 <- match(tab$from[k], waves)
    y_mat <- matrix(NA_real_, n_all, length(waves))
    y_mat[cbind(rows$person, rows$wave)] <- as.numeric(y)
    has <- !is.na(y_mat[, t1] - y_mat[, t0])
    members <- rows$person[rows$wave == t1 & has[rows$person] & in_group]
  } else {
    members <- rows$person[rows$wave == t1 & !is.na(y) & in_group]
  }
  grp <- unname(if (is.null(g)) base else base[group_base[base] == g])
  if (!all(members %in% grp)) {
    pa_abort(
      sprintf(paste("The respondents behind row %d of `x` are not all in",
                    "its group's baseline sample: `%s` must be the same for",
                    "a person at every wave."), k, by %||% ""),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
  type <- if (kind == "wave_means" &&
              (!is.na(lv) || is.logical(w$panel$data[[v]]) ||
               is_binary_numeric(w$panel$data[[v]]))) {
    "proportion"
  } else {
    "mean"
  }
  prob <- NULL
  key <- NULL
  fit <- NULL
  if (type == "proportion") {
    key <- paste(v, lv, t1, sep = "\r")
    fit <- fits[[key]]
    if (is.null(fit)) {
      at <- rows$wave == t1 & !is.na(y)
      yy <- rep(NA_real_, n_all)
      yy[rows$person[at]] <- as.numeric(y[at])
      fit <- mar_probabilities(w, yy, sprintf("`%s`%s at %s", v,
        if (is.na(lv)) "" else sprintf(" = \"%s\"", lv), waves[t1]))
    }
    prob <- unname(fit[grp])
  }
  list(type = type, group = if (is.null(g)) "(all)" else paste0("=", g),
       grp = grp, members = members, prob = prob, fit_key = key, fit = fit)
}

# The material of the rows kept by a subset (positions in the stored
# order).
restrict_tipping <- function(mat, keep) {
  mat$rows <- mat$rows[keep]
  mat
}

is_binary_numeric <- function(y) {
  is.numeric(y) && !all(is.na(y)) && all(y[!is.na(y)] %in% c(0, 1))
}

# MAR probabilities of a binary outcome at a wave for every baseline
# person: a quasi-binomial regression on the weights' covariates among the
# wave's respondents with a value, weighted by the base weights.
mar_probabilities <- function(w, y, what) {
  base <- w$baseline_rows
  label <- sprintf("the outcome regression of %s", what)
  x <- stage_matrix(w$covariates, w$formula, base, label)
  fit_rows <- !is.na(y[base])
  fit <- stats::glm.fit(x[fit_rows, , drop = FALSE], y[base][fit_rows],
                        weights = w$base_weights[base][fit_rows],
                        family = stats::quasibinomial(),
                        control = stats::glm.control(epsilon = 1e-12,
                                                     maxit = 100))
  if (anyNA(fit$coefficients)) {
    pa_abort(
      sprintf(paste("The outcome regression of %s on %s is singular (a",
                    "category of a covariate has no respondents), so the",
                    "dropouts have no MAR prediction. Use a simpler `formula`",
                    "in attrition_weights()."),
              what, paste(deparse(w$formula), collapse = " ")),
      class = "panelattrition_model_error"
    )
  }
  out <- rep(NA_real_, length(y))
  out[base] <- stats::plogis(drop(x %*% fit$coefficients))
  out
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

#' @rdname tipping_point
#' @param digits Significant digits for printing.
#' @param n Largest number of grid rows printed.
#' @param ... Unused by `print()`; for `plot()` see [pa_plots].
#' @export
print.pa_tipping <- function(x, digits = 4, n = 40, ...) {
  tip <- attr(x, "tipping")
  crit <- attr(x, "criterion") %||% "interval"
  cat(sprintf(
    "<pa_tipping> delta adjustment of %s (delta on the %s scale); %g%% intervals\n",
    gsub("_", " ", attr(x, "kind") %||% "estimates"),
    attr(x, "scale") %||% "outcome", 100 * (attr(x, "conf_level") %||% 0.95)))
  if (!is.null(attr(x, "group_delta"))) {
    gd <- attr(x, "group_delta")
    cat(sprintf("Group multipliers of delta: %s (other groups: 0)\n",
                paste0(names(gd), " = ", format(gd), collapse = ", ")))
  }
  if (!is.null(tip)) {
    cat(if (crit == "interval") {
      "\nTipping points (where the interval first includes the null):\n"
    } else {
      "\nTipping points (where the estimate crosses the null):\n"
    })
    tp <- tip
    tp$criterion <- NULL
    num <- vapply(tp, is.double, logical(1))
    tp[num] <- lapply(tp[num], function(v) signif(v, digits))
    print(tp, row.names = FALSE)
  }
  df <- x
  class(df) <- "data.frame"
  for (a in c("tipping", "kind", "by", "criterion", "conf_level",
              "group_delta", "scale")) attr(df, a) <- NULL
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, digits))
  cat("\nEstimates over the grid of delta:\n")
  print(utils::head(df, n), row.names = FALSE)
  if (nrow(df) > n) {
    cat(sprintf("... %d more rows; as.data.frame(x) has them all\n",
                nrow(df) - n))
  }
  invisible(x)
}

# Exponential tilting ------------------------------------------------------

#' Sensitivity to outcome-dependent dropout by exponential tilting
#'
#' A selection-model sensitivity analysis: people's chance of answering at
#' a wave is allowed to depend on the outcome they would have reported,
#' through a factor \eqn{\exp(\alpha y)}, and for each value of `alpha` the
#' respondents are re-weighted accordingly and the wave's mean (or
#' proportion) re-estimated, with its interval.
#'
#' @section The model:
#' For each wave \eqn{t} and each `alpha`, the respondents with a value of
#' the outcome are calibrated by raking (Deville and Särndal, 1992) from
#' the starting weights \eqn{d_i \exp(-\alpha y_{it})} to the baseline
#' sample's totals \eqn{\sum d_i x_i} of the columns of
#' `model.matrix(formula)` of the weights, so their weights are
#' \eqn{w_i = d_i \exp(x_i'\lambda - \alpha y_{it})}. These are inverse
#' response probabilities for the model
#' \eqn{P(R_t = 1 \mid x, y_t) = \exp(\alpha y_t - x'\gamma)} (`scale =
#' "probability"`): the probability of answering is multiplied by
#' \eqn{\exp(\alpha)} for each unit of \eqn{y_t}, which is close to
#' multiplying the odds when response is rare. With `scale = "odds"` the
#' odds are multiplied, as in the selection model of Rotnitzky, Robins and
#' Scharfstein (1998), \eqn{\mathrm{logit}\,P(R_t = 1 \mid x, y_t) =
#' x'\gamma + \alpha y_t}: the weights are \eqn{w_i = d_i + d_i
#' \exp(x_i'\lambda - \alpha y_{it})}, again solved by raking, to the
#' totals of the baseline people without a value. Either way the baseline
#' covariate totals stay balanced exactly, and the estimator is consistent
#' when the model (with the true `alpha`) is right. A positive `alpha`
#' means people with higher outcomes answer more readily, so their answers
#' are down-weighted.
#'
#' The mean of each group is the Hájek mean of the respondents' outcomes
#' with these weights. Its standard error is a sandwich that stacks the
#' calibration's estimating equations \eqn{(R_i w_i - d_i) x_i} (over the
#' baseline sample) with the means', so the estimated \eqn{\lambda} is
#' counted; people are the units.
#'
#' At `alpha = 0` and `scale = "probability"` the estimate is the
#' calibration estimate under missingness at random: exactly what
#' [wave_means()] gives on `attrition_weights(panel, formula, method =
#' "calibrate", calfun = "raking", monotone = FALSE)` when every
#' respondent has a value. For weights of another method (or with
#' `history`, which is not used here) the `alpha = 0` row is this
#' calibration-type MAR estimate, not the weights' own; `print()` shows
#' the weights' own estimate next to it. Respondents without a value of
#' the outcome (item nonresponse) are treated like nonrespondents. At a
#' wave where everyone in the baseline sample answered with a value,
#' nobody is missing and nothing is tilted: the estimate is the
#' base-weighted mean for every `alpha`.
#'
#' @param w A `pa_weights` object from [attrition_weights()]; its
#'   `formula`, base weights and baseline sample are used.
#' @param outcome Name of an outcome column of the panel's data: numeric
#'   (means), logical or 0/1 (proportions), or a factor or character
#'   column with `category`.
#' @param alpha Numeric vector of tilts, on the scale of `1 / outcome`.
#' @param wave Waves to analyse; by default every wave after the first.
#' @param by Optional name of a grouping column.
#' @param level Confidence level.
#' @param category For a factor or character outcome, the category whose
#'   proportion is analysed (such as `"employed"`).
#' @param scale `"probability"` or `"odds"`; see The model.
#' @param control `list(maxit, epsilon)` for the calibrations.
#' @param min_n Rows with fewer respondents with a value (for
#'   proportions, fewer having or lacking the outcome) are suppressed,
#'   with complementary rows, as in [wave_means()] (section Small cells).
#'
#' @return A data frame of class `pa_tilt` with columns `alpha`, `wave`,
#'   `group` (`"(all)"` without `by`), `estimate`, `std_error`, `conf_low`,
#'   `conf_high` (normal; on the logit scale for proportions), `n`
#'   (respondents with a value) and `suppressed`, and the attribute `mar`: the input
#'   weights' own estimates ([wave_means()]) for comparison.
#'
#' @references
#' Rotnitzky, A., Robins, J. M. and Scharfstein, D. O. (1998).
#' Semiparametric regression for repeated outcomes with nonignorable
#' nonresponse. *Journal of the American Statistical Association*, 93,
#' 1321-1339.
#'
#' Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in
#' survey sampling. *Journal of the American Statistical Association*, 87,
#' 376-382.
#' @seealso [tipping_point()], [attrition_bounds()].
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
#' tl <- tilt_sensitivity(w, "wellbeing", alpha = seq(-0.1, 0.1, by = 0.05))
#' tl
#' plot(tl)
#' tilt_sensitivity(w, "employment", alpha = c(-1, 0, 1), category = "employed",
#'                  wave = "T3")
tilt_sensitivity <- function(w, outcome, alpha, wave = NULL, by = NULL,
                             level = 0.95, category = NULL,
                             scale = c("probability", "odds"),
                             control = list(maxit = 100, epsilon = 1e-10),
                             min_n = getOption("panelattrition.min_n", 5)) {
  check_quoted(outcome, by)
  check_weights_object(w)
  check_min_n(min_n)
  if (missing(alpha)) {
    pa_abort("`alpha` is missing: give the tilts to try, e.g. seq(-0.1, 0.1, 0.02).",
             class = "panelattrition_arg_error", argument = "alpha")
  }
  if (!is.numeric(alpha) || length(alpha) == 0L || anyNA(alpha) ||
      any(!is.finite(alpha))) {
    arg_error("alpha", "a numeric vector of finite tilts", alpha)
  }
  alpha <- sort(unique(as.double(alpha)))
  scale <- match_choice(scale, c("probability", "odds"), "scale")
  check_sensitivity_level(level)
  control <- check_cal_control(control)
  rows <- panel_rows(w)
  yv <- sensitivity_outcome(w, outcome, rows, category, binary = FALSE)
  t_idx <- sensitivity_waves(w, wave)
  group <- group_values(w, by, rows)
  group <- if (is.null(by)) rep("(all)", nrow(rows)) else as.character(group)
  groups <- if (is.null(by)) "(all)" else {
    as.character(sort_unique(group_values(w, by, rows)))
  }
  waves <- w$panel$waves
  base <- w$baseline_rows
  d <- w$base_weights[base]
  xb <- stage_matrix(w$covariates, w$formula, base, "the tilted calibration")
  totals <- colSums(xb * d)
  z <- stats::qnorm(1 - (1 - level) / 2)

  out <- list()
  observed <- list()
  bar <- progress_start("Tilting", length(t_idx) * length(alpha))
  for (t in t_idx) {
    at <- which(rows$wave == t & !is.na(yv$values))
    pos <- match(rows$person[at], base)
    if (anyNA(pos)) {
      pa_abort(sprintf("Some respondents at %s are not in the baseline sample.",
                       waves[t]),
               class = "panelattrition_weights_error", wave = waves[t])
    }
    for (a in alpha) {
      fit <- tilt_fit(xb, d, base, nrow(w$weights), pos, yv$values[at],
                      group[at], groups, a, scale, totals, control,
                      sprintf("%s (tilt alpha = %s)", waves[t], format(a)),
                      outcome)
      out[[length(out) + 1L]] <- data.frame(
        alpha = a, wave = waves[t], group = groups, estimate = fit$estimate,
        std_error = fit$std_error, n = fit$n, stringsAsFactors = FALSE
      )
      for (g in groups) {
        observed[[length(observed) + 1L]] <- yv$values[at][group[at] == g]
      }
      progress_step(bar)
    }
  }
  progress_end(bar)
  out <- do.call(rbind, out)
  if (any(is.infinite(out$estimate) | is.nan(out$estimate) |
          is.infinite(out$std_error) | is.nan(out$std_error))) {
    abort_nonfinite(outcome, "outcome")
  }
  out <- suppress_table_rows(
    out, paste(out$wave, out$alpha), if (is.null(by)) NA else out$group,
    observed, yv$proportion, min_n, c("estimate", "std_error", "n")
  )
  out$n <- round_counts(out$n)
  out <- out[order(match(out$wave, waves), match(out$group, groups),
                   out$alpha), , drop = FALSE]
  lims <- if (yv$proportion) {
    proportion_interval(out$estimate, out$std_error, out$n, level, "logit")
  } else {
    cbind(out$estimate - z * out$std_error, out$estimate + z * out$std_error)
  }
  out$conf_low <- lims[, 1]
  out$conf_high <- lims[, 2]
  out$wave <- factor(out$wave, levels = waves)
  out <- out[c("alpha", "wave", "group", "estimate", "std_error", "conf_low",
               "conf_high", "n", "suppressed")]
  rownames(out) <- NULL
  mar <- tilt_mar_reference(w, outcome, by, level, category, waves[t_idx],
                            min_n)
  structure(out, class = c("pa_tilt", "data.frame"), mar = mar,
            outcome = yv$label, by = by, scale = scale, conf_level = level,
            proportion = yv$proportion, method = w$method)
}

# One calibration and the means of every group, with sandwich standard
# errors. `pos` are the positions of the respondents in the baseline
# sample `base` (rows of `xb`), `n_all` the number of people in the panel.
tilt_fit <- function(xb, d, base, n_all, pos, y, group, groups, alpha, scale,
                     totals, control, label, outcome) {
  xr <- xb[pos, , drop = FALSE]
  # everyone in the baseline sample answered with a value: nobody is
  # missing, so there is nothing to tilt (the tilted model could not give
  # them all probability 1), and the estimate is the base-weighted mean
  complete <- length(pos) == nrow(xb) && !anyDuplicated(pos)
  if (complete) alpha <- 0
  # a constant factor in the starting weights is absorbed by lambda when
  # the margins span a constant; centring keeps exp() in range
  centre <- 0
  if (alpha != 0 && length(y) > ncol(xr)) {
    resid <- qr.resid(qr(xr), rep(1, nrow(xr)))
    if (max(abs(resid)) < 1e-8) centre <- stats::median(y)
  }
  start <- d[pos] * exp(-alpha * (y - centre))
  if (any(!is.finite(start) | !(start > 0))) {
    pa_abort(
      sprintf(paste("At %s the tilted weights exp(-alpha * y) of outcome",
                    "`%s` overflow or vanish: alpha times the spread of",
                    "`%s` is too large. Use smaller `alpha` or rescale",
                    "the outcome."),
              label, outcome, outcome),
      class = c("panelattrition_nonfinite_error", "panelattrition_arg_error"),
      argument = "alpha", variables = outcome
    )
  }
  fixed <- if (scale == "odds") d[pos] else rep(0, length(pos))
  target <- totals - colSums(xr * fixed)
  if (complete) {
    tilted <- rep(0, length(pos))
    wr <- d[pos]
    infl_lambda <- NULL
  } else {
    cal <- calibrate_weights(xr, start, target, calfun = "raking",
                             control = control, stage = label)
    tilted <- cal$weights
    wr <- fixed + tilted
    # influence of lambda: -J^{-1} U_i, U_i = (R_i w_i - d_i) x_i
    u <- matrix(0, n_all, ncol(xb))
    u[base, ] <- -xb * d
    u[base[pos], ] <- u[base[pos], , drop = FALSE] + xr * wr
    jac <- crossprod(xr, xr * tilted)
    infl_lambda <- t(solve(jac, t(u)))
  }
  est <- se <- rep(NA_real_, length(groups))
  n <- integer(length(groups))
  for (k in seq_along(groups)) {
    in_g <- group == groups[k]
    n[k] <- sum(in_g)
    if (!any(in_g)) next
    wg <- wr[in_g]
    yg <- y[in_g]
    total <- sum(wg)
    mu <- sum(wg * yg) / total
    phi <- numeric(n_all)
    phi[base[pos][in_g]] <- wg * (yg - mu)
    infl <- phi / total
    if (!is.null(infl_lambda)) {
      # d phi / d lambda: the weights move by (w - fixed) x
      grad <- colSums(xr[in_g, , drop = FALSE] * (tilted[in_g] * (yg - mu)))
      infl <- infl - drop(infl_lambda %*% grad) / total
    }
    est[k] <- mu
    se[k] <- sqrt(influence_vcov(matrix(infl, ncol = 1L))[1L, 1L])
  }
  list(estimate = est, std_error = se, n = n)
}

# The input weights' own estimates of the analysed waves, for print().
tilt_mar_reference <- function(w, outcome, by, level, category, waves,
                               min_n) {
  est <- tryCatch(
    suppressMessages(wave_means(w, outcome, by = by, conf_level = level,
                                min_n = min_n)),
    panelattrition_error = function(e) NULL
  )
  if (is.null(est)) return(NULL)
  df <- as.data.frame(est)
  keep <- as.character(df$wave) %in% waves
  if (!is.null(category)) keep <- keep & df$level %in% category
  df <- df[keep, , drop = FALSE]
  out <- data.frame(
    wave = df$wave,
    group = if (is.null(by)) "(all)" else as.character(df[[by]]),
    estimate = df$estimate, std_error = df$std_error,
    conf_low = df$conf_low, conf_high = df$conf_high,
    stringsAsFactors = FALSE
  )
  rownames(out) <- NULL
  out
}

#' @rdname tilt_sensitivity
#' @param x A `pa_tilt` table.
#' @param digits Significant digits for printing.
#' @param ... Unused by `print()`; for `plot()` see [pa_plots].
#' @export
print.pa_tilt <- function(x, digits = 4, ...) {
  cat(sprintf(paste0("<pa_tilt> exponential tilting of %s: %s of answering ",
                     "multiplied by exp(alpha * y); %g%% intervals\n"),
              attr(x, "outcome") %||% "the outcome",
              attr(x, "scale") %||% "probability",
              100 * (attr(x, "conf_level") %||% 0.95)))
  df <- x
  class(df) <- "data.frame"
  for (a in c("mar", "outcome", "by", "scale", "conf_level", "proportion",
              "method")) attr(df, a) <- NULL
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, digits))
  print(df, row.names = FALSE)
  mar <- attr(x, "mar")
  zero <- x[x$alpha == 0, , drop = FALSE]
  if (!is.null(mar) && nrow(mar) > 0L) {
    cat(sprintf("\nMAR estimates: calibration (alpha = 0) and the input %s weights\n",
                attr(x, "method") %||% ""))
    key <- paste(mar$wave, mar$group)
    cal <- zero$estimate[match(key, paste(zero$wave, zero$group))]
    cmp <- data.frame(wave = mar$wave, group = mar$group,
                      calibration = signif(cal, digits),
                      weights = signif(mar$estimate, digits),
                      weights_se = signif(mar$std_error, digits))
    print(cmp, row.names = FALSE)
  }
  invisible(x)
}

# Worst-case bounds ---------------------------------------------------------

#' Worst-case bounds for proportions under attrition
#'
#' Bounds on the proportion of the baseline sample with a binary outcome
#' (such as being in work) at each wave, that hold whatever the reasons
#' people stopped answering (Manski, 1990), with Imbens and Manski (2004)
#' confidence intervals for the identified set.
#'
#' @section Bounds:
#' For a wave and group, let \eqn{p_R} be the base-weighted share of the
#' group's baseline sample whose outcome is known at that wave and
#' \eqn{\bar y_R} the base-weighted proportion among them. Nothing is
#' assumed about the others, so the proportion lies between
#' \eqn{p_R \bar y_R} (none of them has the outcome) and
#' \eqn{p_R \bar y_R + 1 - p_R} (all of them have it). With
#' `assume = "monotone"` (the people whose outcome is unknown are no more
#' likely to have it than those who answered, for example to be in work)
#' the upper bound becomes \eqn{\bar y_R}. Only base weights are used: the
#' bounds need no response model. A respondent who answered the wave but
#' not this question (item nonresponse) is counted among the unknown, like
#' a nonrespondent.
#'
#' @section Intervals:
#' The standard errors of the bounds come from their influence values
#' (ratios of base-weighted sums over the baseline sample; people are the
#' units), and the interval is \eqn{[L - c\,se_L, U + c\,se_U]} with
#' \eqn{c} solving \eqn{\Phi(c + (U - L) / \max(se_L, se_U)) - \Phi(-c) =}
#' `level`, so that it covers the true proportion (not the whole set) with
#' probability `level` (Imbens and Manski, 2004). The limits are kept
#' within \[0, 1\].
#'
#' @param w A `pa_weights` object (for its panel, base weights and baseline
#'   sample).
#' @param outcome Name of a binary outcome: logical, 0/1, or a factor or
#'   character column with `category`.
#' @param by Optional name of a grouping column; it must be a baseline
#'   covariate, since the groups of the people who dropped out are needed.
#' @param wave Waves to bound; by default every wave after the first.
#' @param assume `"none"` or `"monotone"`; see Bounds.
#' @param level Confidence level, above 0.5.
#' @param category For a factor or character outcome, the category whose
#'   proportion is bounded.
#' @param min_n Rows whose observed respondents number fewer than `min_n`
#'   (or with fewer than `min_n` having, or lacking, the outcome) are
#'   suppressed (`NA`, with `suppressed = TRUE`), with complementary rows,
#'   as in [wave_means()] (section Small cells).
#'
#' @return A data frame of class `pa_bounds` with columns `wave`, `group`
#'   (`"(all)"` without `by`), `lower`, `upper`, `conf_low`, `conf_high`,
#'   `width` (`upper - lower`), `assume`, `share_observed` (\eqn{p_R}),
#'   `mean_observed` (\eqn{\bar y_R}), `n_observed`, `se_lower`, `se_upper`,
#'   `suppressed`.
#'
#' @references
#' Manski, C. F. (1990). Nonparametric bounds on treatment effects.
#' *American Economic Review*, 80, 319-323.
#'
#' Imbens, G. W. and Manski, C. F. (2004). Confidence intervals for
#' partially identified parameters. *Econometrica*, 72, 1845-1857.
#' @seealso [tipping_point()], [tilt_sensitivity()].
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
#' b <- attrition_bounds(w, "employment", category = "employed", by = "group")
#' b
#' plot(b)
#' attrition_bounds(w, "employment", category = "employed", assume = "monotone")
attrition_bounds <- function(w, outcome, by = NULL, wave = NULL,
                             assume = c("none", "monotone"), level = 0.95,
                             category = NULL,
                             min_n = getOption("panelattrition.min_n", 5)) {
  check_quoted(outcome, by)
  check_weights_object(w)
  assume <- match_choice(assume, c("none", "monotone"), "assume")
  check_min_n(min_n)
  check_sensitivity_level(level, lower = 0.5)
  rows <- panel_rows(w)
  yv <- sensitivity_outcome(w, outcome, rows, category, binary = TRUE)
  t_idx <- sensitivity_waves(w, wave)
  n_all <- nrow(w$weights)
  base <- w$baseline_rows
  d <- w$base_weights
  if (is.null(by)) {
    groups <- "(all)"
    members <- list(base)
  } else {
    check_string(by, "by")
    if (!by %in% names(w$panel$baseline)) {
      pa_abort(
        sprintf(paste("`by` must be a baseline covariate (named in",
                      "panel_data(baseline = )), so that the people who",
                      "dropped out have a group; `%s` is not."), by),
        class = "panelattrition_arg_error", argument = "by"
      )
    }
    g <- w$panel$baseline[[by]]
    if (anyNA(g[base])) {
      pa_abort(sprintf("The grouping variable `%s` is missing for %d %s of the baseline sample.",
                       by, sum(is.na(g[base])),
                       plural(sum(is.na(g[base])), "person", "people")),
               class = "panelattrition_missing_error", variables = by)
    }
    groups <- as.character(sort_unique(g[base]))
    members <- lapply(groups, function(x) base[as.character(g[base]) == x])
  }
  out <- list()
  observed <- list()
  bar <- progress_start("Tilting", length(t_idx) * length(alpha))
  for (t in t_idx) {
    at <- rows$wave == t & !is.na(yv$values)
    y <- rep(NA_real_, n_all)
    y[rows$person[at]] <- yv$values[at]
    for (k in seq_along(groups)) {
      yk <- y[members[[k]]]
      observed[[length(observed) + 1L]] <- yk[!is.na(yk)]
      out[[length(out) + 1L]] <- cbind(
        data.frame(wave = w$panel$waves[t], group = groups[k],
                   stringsAsFactors = FALSE),
        manski_bounds(y, d, members[[k]], n_all, assume, level)
      )
    }
  }
  out <- do.call(rbind, out)
  out <- suppress_table_rows(
    out, out$wave, if (is.null(by)) NA else out$group, observed, TRUE, min_n,
    c("lower", "upper", "conf_low", "conf_high", "width", "share_observed",
      "mean_observed", "n_observed", "se_lower", "se_upper")
  )
  out$n_observed <- round_counts(out$n_observed)
  out$wave <- factor(out$wave, levels = w$panel$waves)
  rownames(out) <- NULL
  structure(out, class = c("pa_bounds", "data.frame"), outcome = yv$label,
            by = by, assume = assume, conf_level = level)
}

# The bounds of one cell: y over all people (NA where unknown), the cell's
# baseline people `grp`.
manski_bounds <- function(y, d, grp, n_all, assume, level) {
  dg <- d[grp]
  known <- !is.na(y[grp])
  yk <- ifelse(known, y[grp], 0)
  n_d <- sum(dg)
  n_r <- sum(dg[known])
  share <- n_r / n_d
  mean_obs <- if (n_r > 0) sum(dg * yk) / n_r else NA_real_
  lower <- sum(dg * yk) / n_d
  infl_low <- numeric(n_all)
  infl_low[grp] <- dg * (yk - lower) / n_d
  if (assume == "none") {
    upper <- lower + 1 - share
    infl_up <- numeric(n_all)
    infl_up[grp] <- dg * (ifelse(known, yk, 1) - upper) / n_d
  } else {
    upper <- mean_obs
    infl_up <- numeric(n_all)
    infl_up[grp] <- ifelse(known, dg * (yk - mean_obs) / n_r, 0)
  }
  se_low <- sqrt(influence_vcov(matrix(infl_low, ncol = 1L))[1L, 1L])
  se_up <- sqrt(influence_vcov(matrix(infl_up, ncol = 1L))[1L, 1L])
  if (is.na(upper)) {
    conf <- c(NA_real_, NA_real_)
  } else {
    crit <- imbens_manski_c(upper - lower, max(se_low, se_up), level)
    conf <- c(max(0, lower - crit * se_low), min(1, upper + crit * se_up))
  }
  data.frame(lower = lower, upper = upper, conf_low = conf[1],
             conf_high = conf[2], width = upper - lower,
             assume = assume, share_observed = share,
             mean_observed = mean_obs, n_observed = sum(known),
             se_lower = se_low, se_upper = se_up, stringsAsFactors = FALSE)
}

# c with pnorm(c + width / se) - pnorm(-c) = level: between the one-sided
# (wide set) and two-sided (point identified) normal quantiles.
imbens_manski_c <- function(width, se, level) {
  two_sided <- stats::qnorm(1 - (1 - level) / 2)
  if (!(se > 0)) return(two_sided)
  r <- width / se
  f <- function(cc) stats::pnorm(cc + r) - stats::pnorm(-cc) - level
  if (f(two_sided) <= 0) return(two_sided)
  stats::uniroot(f, c(0, two_sided), tol = 1e-12)$root
}

#' @rdname attrition_bounds
#' @param x A `pa_bounds` table.
#' @param digits Significant digits for printing.
#' @param ... Unused by `print()`; for `plot()` see [pa_plots].
#' @export
print.pa_bounds <- function(x, digits = 4, ...) {
  cat(sprintf(paste0("<pa_bounds> worst-case bounds for the proportion with ",
                     "%s%s; Imbens-Manski %g%% intervals\n"),
              attr(x, "outcome") %||% "the outcome",
              if (identical(attr(x, "assume"), "monotone")) {
                ", assuming those unknown are no more likely to have it"
              } else "",
              100 * (attr(x, "conf_level") %||% 0.95)))
  df <- x
  class(df) <- "data.frame"
  for (a in c("outcome", "by", "assume", "conf_level")) attr(df, a) <- NULL
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, digits))
  print(df, row.names = FALSE)
  invisible(x)
}

# Shared checks -------------------------------------------------------------

check_sensitivity_level <- function(level, lower = 0) {
  if (!is.numeric(level) || length(level) != 1L || is.na(level) ||
      level <= lower || level >= 1) {
    arg_error("level", sprintf("a number between %g and 1", lower), level)
  }
  invisible(level)
}

# The outcome as numbers over the rows of the panel's data: itself for
# numeric outcomes, an indicator for logical ones and for a category of a
# factor. `binary = TRUE` refuses anything that is not binary.
sensitivity_outcome <- function(w, outcome, rows, category, binary) {
  check_string(outcome, "outcome")
  data <- w$panel$data
  if (!outcome %in% names(data)) {
    pa_abort(sprintf("`outcome` names `%s`, which is not a column of the panel's data.%s",
                     outcome, did_you_mean(outcome, names(data))),
             class = "panelattrition_arg_error", argument = "outcome")
  }
  y <- data[[outcome]]
  categorical <- is.factor(y) || is.character(y)
  if (!is.null(category) && !categorical) {
    pa_abort(sprintf("`category` applies to factor or character outcomes; `%s` is %s.",
                     outcome, class(y)[1]),
             class = "panelattrition_arg_error", argument = "category")
  }
  if (categorical) {
    cats <- if (is.factor(y)) levels(y) else sort(unique(y[!is.na(y)]))
    if (is.null(category)) {
      pa_abort(
        sprintf(paste("`%s` is categorical: name the category whose",
                      "proportion to analyse with `category =` (one of %s)."),
                outcome, format_names(cats)),
        class = "panelattrition_arg_error", argument = "category"
      )
    }
    if (!is.character(category) || length(category) != 1L ||
        is.na(category) || !category %in% cats) {
      arg_error("category", sprintf("one of the categories of `%s` (%s)",
                                    outcome, format_names(cats)), category)
    }
    values <- ifelse(is.na(y), NA_real_, as.numeric(as.character(y) == category))
    return(list(values = values, proportion = TRUE,
                label = sprintf("%s = \"%s\"", outcome, category)))
  }
  if (is.logical(y)) {
    return(list(values = as.numeric(y), proportion = TRUE, label = outcome))
  }
  if (!is.numeric(y)) {
    arg_error("outcome", "a numeric, logical, factor or character column",
              y)
  }
  check_finite_outcome(y, outcome, "outcome")
  is_binary <- is_binary_numeric(y)
  if (binary && !is_binary) {
    seen <- sort(unique(y[!is.na(y)]))
    pa_abort(
      sprintf(paste("`%s` must be binary (logical, 0/1, or a factor with",
                    "`category`) for bounds on a proportion, but takes the",
                    "values %s."),
              outcome, format_values(seen)),
      class = "panelattrition_arg_error", argument = "outcome"
    )
  }
  list(values = as.numeric(y), proportion = is_binary, label = outcome)
}

# Indices of the waves to analyse: those named, or every wave after the
# first.
sensitivity_waves <- function(w, wave) {
  waves <- w$panel$waves
  if (is.null(wave)) {
    if (length(waves) < 2L) {
      pa_abort("The panel has a single wave, so nobody has dropped out yet.",
               class = "panelattrition_arg_error", argument = "wave")
    }
    return(seq_along(waves)[-1])
  }
  if (!is.character(wave) || length(wave) == 0L || anyNA(wave) ||
      !all(wave %in% waves)) {
    arg_error("wave", sprintf("one or more of the panel's waves (%s)",
                              paste(waves, collapse = ", ")), wave)
  }
  sort(match(unique(wave), waves))
}
