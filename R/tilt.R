# Exponential tilting (selection model): the chance of answering depends
# on the outcome through exp(alpha * y); for each alpha the respondents are
# re-calibrated and the mean's sandwich stacks that calibration.
# print() and plot() methods are in sensitivity.R.

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
#' @param conf_level Confidence level.
#' @param level Deprecated name of `conf_level`.
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
                             conf_level = 0.95, category = NULL,
                             scale = c("probability", "odds"),
                             control = list(maxit = 100, epsilon = 1e-10),
                             min_n = getOption("panelattrition.min_n", 5),
                             level = NULL) {
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
  level <- resolve_conf_level(conf_level, level, "tilt_sensitivity")
  control <- check_control(control)
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
                      outcome, w$panel$design)
      out[[length(out) + 1L]] <- data.frame(
        alpha = a, wave = waves[t], group = groups, estimate = fit$estimate,
        std_error = fit$std_error, n = fit$n, stringsAsFactors = FALSE
      )
      for (g in groups) {
        observed[[length(observed) + 1L]] <- yv$values[at][group[at] == g]
      }
    }
  }
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
                     totals, control, label, outcome, design = NULL) {
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
    se[k] <- sqrt(influence_vcov(matrix(infl, ncol = 1L), design)[1L, 1L])
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
