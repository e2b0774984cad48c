# Attrition-weighted estimates: wave means and within-person change, with
# variances that count the estimated weights (see variance.R).

#' Attrition-weighted means and proportions by wave
#'
#' Hájek (ratio) means of numeric outcomes, and proportions of logical,
#' 0/1 and factor (or character) outcomes, at each wave and, with `by`,
#' in each group, weighted by the attrition weights of each wave.
#'
#' @section Variances:
#' * `se = "sandwich"` (default) stacks the estimating equations of every
#'   response model (or calibration) behind the weights with those of the
#'   means, so the uncertainty of the estimated weights is counted (Robins,
#'   Rotnitzky and Zhao, 1995; Seaman and White, 2013). People are the
#'   units: answers of one person at several waves are correlated, and the
#'   covariance between estimates at different waves (kept in the `vcov`
#'   attribute) allows comparisons across waves and groups.
#' * `se = "bootstrap"` resamples people (Bayesian bootstrap by default;
#'   with a sampling design, PSUs within strata, see [boot_control()])
#'   and re-fits every response model or calibration in every replicate, in
#'   C ([boot_control()], [replicate_weights()]); the standard error is the
#'   standard deviation of the replicate estimates and the intervals are
#'   percentile intervals. The replicate estimates are kept in the
#'   attribute `replicates`.
#' * `se = "naive"` treats the weights as known, as
#'   `survey::svyby(~y, ~wave + g, svydesign(ids = ~id, weights = ~w), svymean)`
#'   does; it is given for comparison.
#'
#' The sandwich and naive variances are \eqn{n/(n-1)} times the sum of
#' squares of the people's centred influence values, as survey computes
#' them for a design with people as clusters and no strata.
#'
#' For a response model fitted by Firth's method the sandwich uses each
#' person's contribution to the penalised score,
#' \eqn{x_i (d_i (R_i - p_i) + h_i (1/2 - p_i))} with \eqn{h_i} the
#' diagonal of the hat matrix (these add up to zero at the estimate), and
#' as its bread the expected information \eqn{X' \mathrm{diag}(d p (1 - p)) X}{X' diag(d p (1 - p)) X}
#' at the estimate. The derivative of the penalty term is left out of the
#' bread: it is of order 1 against the information's order n, so it
#' changes neither the variance's leading term nor its consistency.
#'
#' For calibrated weights the sandwich stacks the calibration equations,
#' so it counts the estimation of the Lagrange multipliers and, when the
#' targets are the weighted totals of the baseline sample or of the
#' previous wave, the sampling variability of those targets too. With
#' fixed population `margins` it agrees with the linearisation that survey
#' uses for `survey::calibrate()`d designs (residuals from the weighted
#' regression of the outcome on the calibration variables). With estimated
#' targets survey has no counterpart, since it takes the totals as known:
#' the package's weights equal `survey::calibrate()`'s, its variances need
#' not.
#'
#' Intervals for means are normal, with quantiles of the standard normal
#' distribution (no degrees-of-freedom correction); for proportions they are computed on the
#' logit scale (`ci = "logit"`) or by the Korn and Graubard (1998) method
#' (`ci = "beta"`, Clopper-Pearson limits at the effective sample size
#' \eqn{p(1-p)/se^2}), never by a plain Wald interval, which can leave
#' \[0, 1\].
#'
#' Missing values of an outcome among a wave's respondents (item
#' nonresponse) are left out of that mean. A wave where the outcome has no
#' value at all (a question not asked there) has no row; an outcome with
#' no value at any wave is an error (class
#' `panelattrition_no_answers_error`).
#'
#' @section Small cells:
#' No number about fewer than `min_n` people leaves the package (`min_n`
#' defaults to the option `panelattrition.min_n`, 5). A cell is suppressed
#' when fewer than `min_n` respondents give it a value, and a proportion
#' also when fewer than `min_n` of them have the attribute or fewer than
#' `min_n` lack it. Its estimate, standard error, interval, `n`, `n_eff`,
#' covariance, influence values and bootstrap replicates are all `NA`
#' (`suppressed` is `TRUE`), in the table, in `print()`, `tidy()`,
#' `glance()`, [compare_groups()] and [tipping_point()].
#'
#' Complementary suppression: estimates that combine into something
#' published elsewhere would let a suppressed cell be recovered by
#' differencing (the overall mean minus the other groups' shares times
#' their means). So within a table, when exactly one cell of a family is
#' suppressed, the next-smallest cell of the family (fewest respondents;
#' for proportions, the smallest count with or without the attribute) is
#' suppressed too, repeatedly until no family has a lone suppressed cell.
#' The families are the groups (`by`) of one outcome, level and wave (a
#' table has no overall row: the overall estimate is another table, and it
#' cannot be differenced down to one group while two are hidden), and the
#' levels of a categorical outcome within one group and wave (they sum to
#' one); for [transitions()], the groups of one pair of statuses and the
#' statuses at `to` of one status at `from`. [attrition_bounds()],
#' [tilt_sensitivity()] and [ipw_gee()] follow the same rule.
#'
#' With the option `panelattrition.round_counts` set to a whole number
#' (such as 5), the counts `n` shown are rounded to a multiple of it.
#'
#' @section Doubly robust estimator:
#' `estimator = "aipw"` augments the weighted mean with outcome
#' regressions, fitted by sequential regression under monotone dropout
#' (Bang and Robins, 2005): the outcome at wave t is regressed on the
#' covariates and the history at t - 1 among wave t's respondents, the
#' prediction on the covariates and history at t - 2 among wave t - 1's
#' respondents, and so on down to the baseline sample. Linear regression is
#' used for means and logistic (quasi-binomial) regression for
#' proportions. The estimate is consistent if either the response models
#' or the outcome regressions are correctly specified, and the sandwich
#' variance counts both (the regressions' estimating equations are stacked
#' with the weights'). Groups (`by`) must be baseline covariates; every
#' respondent at a wave must have a value of the outcome.
#'
#' @param w A `pa_weights` object from [attrition_weights()].
#' @param outcomes Names of outcome columns of the panel's data.
#' @param by Optional name of a grouping column (of the panel's data or
#'   baseline covariates), with at most as many groups as the panel's
#'   people divided by `min_n` (more would leave most cells suppressed;
#'   class `panelattrition_groups_error`).
#' @param estimator `"ipw"` (attrition-weighted), `"aipw"` (doubly robust;
#'   see below) or `"complete_case"` (unweighted means of each wave's
#'   respondents, for comparison).
#' @param se `"sandwich"`, `"bootstrap"` or `"naive"`; see Variances.
#' @param control For `se = "bootstrap"`: a [boot_control()] object
#'   (number of replicates, type, seed, threads); `NULL` uses
#'   `boot_control()`.
#' @param conf_level Confidence level of the intervals.
#' @param ci For proportions: `"logit"` or `"beta"` (Korn-Graubard).
#' @param min_n Cells with fewer respondents (or, for proportions, fewer
#'   respondents with or without the attribute) are suppressed, with
#'   complementary cells; see Small cells.
#' @param outcome_model For `estimator = "aipw"`: a one-sided formula of
#'   baseline covariates for the outcome regressions; by default the
#'   weights' formula. Under monotone dropout the weights' `history`
#'   variables at each wave (with their `history_lags`) are added to it.
#'
#' @return A `pa_estimates` data frame with columns `outcome`, `level`
#'   (the category of a proportion; `NA` for means), `wave`, the `by`
#'   column, `estimate`, `std_error`, `conf_low`, `conf_high`, `n`
#'   (respondents with a value), `n_eff` (Kish's effective sample size of
#'   their weights) and `suppressed`. The covariance of the estimates
#'   (`vcov()`) is kept keyed by each row's identity (outcome, level, wave,
#'   group), so subsets and reorderings (`[`, `subset()`, dplyr's
#'   `filter()`, `arrange()`, `slice()`) keep a correct covariance, while
#'   tables bound from several (`rbind()`, `bind_rows()`), with repeated
#'   rows or edited estimates are refused (class
#'   `panelattrition_table_error`) by the functions that need it. The
#'   table holds no microdata and no value per person: besides the
#'   estimates and their covariance, only what [tipping_point()] needs,
#'   summed over people when the table is made (for each row the share of
#'   its group's dropouts, the SD of the outcome, and three rows x rows
#'   matrices of cross-products of the influence values of the estimates
#'   and of those shares), and a few numbers that identify the weights
#'   (number of people, sum and sum of squares of the weights at each
#'   wave). Its size does not grow with the number of people. For
#'   proportions, [tipping_point()] recomputes what it needs from the
#'   weights, given as `w =`.
#' @references
#' Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1995). *Journal of the
#' American Statistical Association*, 90, 106-121.
#'
#' Seaman, S. R. and White, I. R. (2013). *Statistical Methods in Medical
#' Research*, 22, 278-295.
#'
#' Bang, H. and Robins, J. M. (2005). Doubly robust estimation in missing
#' data and causal inference models. *Biometrics*, 61, 962-973.
#'
#' Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for
#' proportions with small expected number of positive counts estimated from
#' survey data. *Survey Methodology*, 24, 193-201.
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
#' wave_means(w, "wellbeing")
#' wave_means(w, "employment", by = "group")
wave_means <- function(w, outcomes, by = NULL,
                       estimator = c("ipw", "aipw", "complete_case"),
                       se = c("sandwich", "bootstrap", "naive"),
                       conf_level = 0.95, ci = c("logit", "beta"),
                       min_n = getOption("panelattrition.min_n", 5),
                       outcome_model = NULL, control = NULL) {
  check_required("w", "outcomes")
  check_quoted(outcomes, by)
  check_weights_object(w)
  estimator <- match_choice(estimator, c("ipw", "aipw", "complete_case"),
                            "estimator")
  if (!is.null(outcome_model)) {
    outcome_model <- check_rhs_formula(outcome_model, "outcome_model")
  }
  se <- match_choice(se, c("sandwich", "bootstrap", "naive"), "se")
  ci <- match_choice(ci, c("logit", "beta"), "ci")
  check_conf_level(conf_level)
  check_min_n(min_n)
  control <- check_boot_use(se, control, estimator)
  if (!is.character(outcomes) || length(outcomes) == 0L || anyNA(outcomes)) {
    arg_error("outcomes", "a character vector of column names", outcomes)
  }
  if (anyDuplicated(outcomes)) {
    pa_abort(sprintf("`outcomes` names %s more than once.",
                     format_names(unique(outcomes[duplicated(outcomes)]))),
             class = "panelattrition_arg_error", argument = "outcomes")
  }
  # the doubly robust estimator uses unstabilised weights, complete cases
  # none
  if (estimator == "ipw") check_marginal_weights(w, by, "wave_means")
  rows <- panel_rows(w)
  group <- group_values(w, by, rows)
  fingerprint <- weights_fingerprint(w)

  if (estimator == "complete_case") {
    w <- unit_weights(w)
    se_used <- "naive"
  } else {
    se_used <- se
  }

  cells <- list()
  for (v in outcomes) {
    y <- outcome_values(w, v, rows)
    check_wave_answers(y, rows, w$panel$waves, seq_along(w$panel$waves), v,
                       "outcomes", each = FALSE)
    check_cells_size(w, rows, y, group, by, min_n)
    # only the doubly robust estimator reads each wave's values
    cells[[v]] <- mean_cells(y, v, rows, group,
                             wave_values = estimator == "aipw")
  }
  cells <- do.call(rbind, cells)
  rownames(cells) <- NULL

  if (estimator == "aipw") {
    cells$group_people <- I(person_groups(w, by, cells$group))
    est <- aipw_cells(w, cells, rows, se_used, outcome_model)
  } else {
    est <- solve_cells(w, cells, rows, se_used, control = control,
                       lean = !isTRUE(pa_people$keep))
  }
  out <- build_estimates(cells, est, by, conf_level, ci, min_n,
                         w$panel$waves,
                         attrs = list(kind = "wave_means", se = se_used,
                                      estimator = estimator, by = by,
                                      conf_level = conf_level,
                                      call = match.call()))
  # no per-person values stay in the table (see finish_table()); each
  # row's weighted SD is the benchmark of delta in tipping_point()
  sd <- est$sd %||% cell_sd(cell_fit(w, cells, rows))
  finish_table(out, w, "wave_means", by, fingerprint,
               redo = list(outcomes = outcomes, estimator = estimator,
                           se = se_used, min_n = min_n,
                           outcome_model = outcome_model),
               cells = list(person = rows$person, members = cells$members,
                            type = cells$type, sd = sd))
}

#' Within-person change between two waves
#'
#' The attrition-weighted mean of each person's change in an outcome between
#' two waves, among the people who answered (and gave a value) at both.
#' Reported with its interval, a test of no change, the standard deviation
#' of the change, and the standardised mean change (mean change divided by
#' that standard deviation, the effect size for paired data).
#'
#' @section Weights of a pair of waves:
#' Under monotone dropout everyone who answered the later wave answered the
#' earlier one, and people are weighted by their weight at the later wave.
#' Under intermittent response (`attrition_weights(monotone = FALSE)`)
#' they were selected on answering both waves, so they are weighted by
#' the inverse of a response model for answering both `from` and `to`,
#' fitted among the baseline sample on the weights' formula by the
#' weights' own method (logistic, Firth, or calibration to the baseline
#' totals) with the same base weights, frame, stabilising and trimming.
#' That model is stacked in the sandwich, re-fitted in every bootstrap
#' replicate and used by the naive variance. Without a frame and with
#' `from` the first wave, answering both is answering `to`, and the weights
#' are those of `to`. This assumes that answering both waves depends on the
#' baseline covariates only.
#'
#' @inheritParams wave_means
#' @param outcome Name of a numeric outcome column.
#' @param from,to Waves to compare; `to` defaults to the last wave.
#' @param ... Unused; arguments must be named.
#' @return A `pa_estimates` data frame with columns `outcome`, `from`,
#'   `wave` (the later wave), the `by` column, `estimate` (mean change),
#'   `std_error`, `conf_low`, `conf_high`, `statistic` and `p_value` (z test
#'   of no change), `sd_change`, `smc` (standardised mean change), `n`,
#'   `n_eff`, `suppressed`; attribute `vcov`.
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
#' panel_change(w, "wellbeing", from = "T1", to = "T3")
panel_change <- function(w, outcome, from = NULL, to = NULL, by = NULL, ...,
                         se = c("sandwich", "bootstrap", "naive"),
                         conf_level = 0.95,
                         min_n = getOption("panelattrition.min_n", 5),
                         control = NULL) {
  check_required("w", "outcome")
  check_quoted(outcome, by)
  check_weights_object(w)
  if (...length() > 0L) {
    pa_abort("panel_change() takes no unnamed arguments after `by`.",
             class = "panelattrition_arg_error")
  }
  se <- match_choice(se, c("sandwich", "bootstrap", "naive"), "se")
  control <- check_boot_use(se, control, "ipw")
  check_string(outcome, "outcome")
  check_conf_level(conf_level)
  check_min_n(min_n)
  check_marginal_weights(w, by, "panel_change")
  waves <- w$panel$waves
  from <- from %||% waves[1]
  to <- to %||% waves[length(waves)]
  t0 <- match(from, waves)
  t1 <- wave_pair(from, to, waves)
  rows <- panel_rows(w)
  y <- outcome_values(w, outcome, rows, "outcome")
  if (!is.numeric(y)) {
    pa_abort(sprintf("`%s` must be numeric to measure change, not %s.",
                     outcome, class(y)[1]),
             class = "panelattrition_arg_error", argument = "outcome")
  }
  check_wave_answers(y, rows, waves, c(t0, t1), outcome, "outcome",
                     hint = "Choose waves where it was asked (`from`, `to`), or check the column.")
  n <- nrow(w$weights)
  y_mat <- matrix(NA_real_, n, length(waves))
  y_mat[cbind(rows$person, rows$wave)] <- y
  delta <- y_mat[, t1] - y_mat[, t0]
  # people seen at both waves, as rows of the later wave
  later <- rows$wave == t1 & !is.na(delta[rows$person])
  sub <- rows[later, , drop = FALSE]
  check_pair_answers(later, outcome, "outcome", from, to)
  group <- group_values(w, by, rows)[later]
  check_cells_size(w, sub, delta[sub$person], group, by, min_n, "outcome")
  cells <- mean_cells(delta[sub$person], outcome, sub, group)
  # weighted for answering both waves (see pair_weights())
  wp <- if (any(later)) pair_weights(w, t0, t1) else w
  est <- solve_cells(wp, cells, sub, se, people = answered_people(rows, n),
                     control = control, lean = !isTRUE(pa_people$keep))
  attrs <- list(kind = "panel_change", se = se, estimator = "ipw", by = by,
                conf_level = conf_level, call = match.call())
  out <- build_estimates(cells, est, by, conf_level, "logit", min_n, waves,
                         attrs = attrs)
  # effect size and test of no change (the weighted SD of each cell's
  # changes, from the cells' fit)
  sd_change <- est$sd
  z <- out$estimate / out$std_error
  out$statistic <- z
  out$p_value <- 2 * stats::pnorm(-abs(z))
  out$sd_change <- ifelse(out$suppressed, NA_real_, sd_change)
  out$smc <- out$estimate / out$sd_change
  out$from <- from
  out$level <- NULL
  first <- c("outcome", "from", "wave")
  vc <- attr(out, "vcov")
  attrs$influence <- attr(out, "influence")
  attrs$replicates <- attr(out, "replicates")
  class(out) <- "data.frame"
  out <- new_estimates(out[c(first, setdiff(names(out), first))], vc, attrs)
  # no per-person values stay in the table (see finish_table())
  finish_table(out, w, "panel_change", by, weights_fingerprint(w),
               redo = list(outcome = outcome, from = from, to = to, se = se,
                           min_n = min_n),
               cells = list(person = sub$person, members = cells$members,
                            type = cells$type, sd = sd_change))
}

# Rows and groups ---------------------------------------------------------------

group_values <- function(w, by, rows) {
  if (is.null(by)) return(rep(NA, nrow(rows)))
  check_string(by, "by")
  p <- w$panel
  if (by %in% names(p$data)) {
    g <- p$data[[by]]
  } else if (by %in% names(p$baseline)) {
    g <- p$baseline[[by]][rows$person]
  } else {
    pa_abort(c(sprintf("`by` names `%s`, which is neither in the panel's data nor among its baseline covariates.",
                       by), did_you_mean(by, c(names(p$data), names(p$baseline)))),
             class = "panelattrition_arg_error", argument = "by")
  }
  check_plain_column(g, by, "by")
  if (has_na(g)) {
    pa_abort(sprintf("The grouping variable `%s` has %d missing values among the answers; give them a group or drop them.",
                     by, sum(is.na(g))),
             class = "panelattrition_missing_error", variables = by)
  }
  g
}

outcome_values <- function(w, v, rows, arg = "outcomes") {
  if (!v %in% names(w$panel$data)) {
    pa_abort(c(sprintf("`%s` names `%s`, which is not a column of the panel's data.",
                       arg, v), did_you_mean(v, names(w$panel$data))),
             class = "panelattrition_arg_error", argument = arg)
  }
  y <- w$panel$data[[v]]
  check_plain_column(y, v, arg)
  check_finite_outcome(y, v, arg)
  y
}

# The covariates in the numerator of stabilised weights, as the user named
# them (none when the weights are not stabilised by a numerator model).
numerator_covariates <- function(w) {
  if (!isTRUE(w$stabilize) || is.null(w$numerator)) return(character())
  w$numerator_vars %||% all.vars(w$numerator)
}

# Stabilising by a numerator model P(R | v) multiplies the weights by a
# function of v, so a weighted mean estimates sum_v h(v) E[Y | v] / sum_v
# h(v) (a mean in which groups of v are re-weighted), not E[Y]. Only
# estimands within levels of v are unaffected, where h(v) cancels: means by
# `by` when the numerator covariates are exactly `by`.
check_marginal_weights <- function(w, by, fun) {
  v <- numerator_covariates(w)
  if (!length(v) || (!is.null(by) && setequal(v, by))) return(invisible())
  num <- paste(deparse(w$numerator, width.cutoff = 500L), collapse = " ")
  pa_abort(
    sprintf(paste("%s() cannot use these weights%s: they were stabilised with",
                  "`numerator = %s`, which multiplies each weight by a",
                  "function of %s, so a weighted estimate over everyone is",
                  "no longer the population's (groups of %s are",
                  "re-weighted). A covariate-dependent numerator is valid",
                  "only for estimates within its levels: %s, or build the",
                  "weights without `numerator` (or with numerator = ~ 1)."),
            fun,
            if (is.null(by)) "" else sprintf(" with by = \"%s\"", by),
            num, format_names(v), format_names(v),
            if (length(v) == 1L) {
              sprintf("use by = \"%s\"", v)
            } else {
              "use ipw_gee() with those covariates in its formula"
            }),
    class = "panelattrition_numerator_error", argument = "w",
    variables = v
  )
}

# For each cell's group, the people of the panel in it (all of them when
# there is no grouping); the doubly robust estimator sums over the whole
# baseline sample, so groups must be fixed person-level covariates.
person_groups <- function(w, by, groups) {
  n <- nrow(w$weights)
  if (is.null(by)) return(rep(list(seq_len(n)), length(groups)))
  if (!by %in% names(w$panel$baseline)) {
    pa_abort(sprintf(paste("The doubly robust estimator needs `by` to be a",
                           "baseline covariate (named in panel_data(baseline",
                           "= )), which `%s` is not."), by),
             class = "panelattrition_arg_error", argument = "by")
  }
  g <- as.character(w$panel$baseline[[by]])
  lapply(as.character(groups), function(x) which(g == x))
}

# The cells of a table of means: one per wave x group (x level for
# categorical outcomes), each with the rows that enter it and the value
# each contributes, and (unless `wave_values` is FALSE) the rows and
# values of its whole wave.
mean_cells <- function(y, name, rows, group, wave_values = TRUE) {
  # (no grouping is a vector of NA; groups are never missing, and a
  # factor's are not looked at value by value)
  no_group <- !length(group) ||
    !is.factor(group) && anyNA(group) && all(is.na(group))
  groups <- if (no_group) NA else sort_unique(group)
  n_g <- length(groups)
  # rows with a value, split by wave and by wave x group (in row order),
  # by the kernel for the panel's integer wave codes (one pass, no
  # vectors of the answers with a value), else in R
  categorical <- is.factor(y) || is.character(y)
  split <- cell_split(y, rows$wave, group, groups, no_group, wave_values,
                      cell_values = !categorical)
  if (is.null(split)) {
    split <- cell_split_r(y, rows$wave, group, groups, no_group)
  }
  waves_present <- split$waves
  if (!length(waves_present)) return(NULL)
  in_cell <- split$cells
  in_wave <- split$wave_rows
  binary <- is.logical(y) || (is.numeric(y) && values_binary(y))
  if (categorical) {
    levels_y <- if (is.factor(y)) levels(y) else sort(unique(y))
  } else {
    levels_y <- NA_character_
  }
  n_l <- length(levels_y)
  values <- if (categorical) {
    lapply(levels_y, function(lv) as.numeric(y == lv))
  } else {
    list(as.numeric(y))
  }
  # cells ordered by wave, group, level
  cell <- rep(seq_along(in_cell), each = n_l)
  wave_of <- rep(seq_along(waves_present), each = n_g * n_l)
  level_of <- rep(seq_len(n_l), length(in_cell))
  pick <- function(members) {
    Map(function(m, l) values[[l]][m], members, level_of)
  }
  out <- data.frame(
    outcome = rep(name, length(cell)), level = levels_y[level_of],
    wave_index = waves_present[wave_of],
    group = rep(rep(if (is.factor(group)) as.character(groups) else groups,
                    each = n_l), length(waves_present)),
    type = if (categorical || binary) "proportion" else "mean",
    stringsAsFactors = FALSE
  )
  out$members <- I(in_cell[cell])
  # (a numeric or logical outcome's values in each cell come from the
  # kernel's split, made as it splits the rows)
  out$values <- I(split$values %||% pick(in_cell[cell]))
  if (wave_values) {
    out$wave_members <- I(in_wave[wave_of])
    out$wave_values <- I(pick(in_wave[wave_of]))
  }
  out
}

# The kernel's split of the rows with a value (cell_split in
# r_estimate.c): NULL when the codes are not plain (the caller splits in
# R). With `cell_values` (y neither a factor nor text) also each cell's
# values as doubles (`values`).
cell_split <- function(y, wave, group, groups, no_group, wave_values,
                       cell_values = FALSE) {
  if (!is.integer(wave) || !length(wave) || anyNA(wave) || min(wave) < 1L ||
      !is.null(attributes(y)) && !is.factor(y)) {
    return(NULL)
  }
  if (no_group) {
    code <- NULL
    slot <- NULL
  } else if (is.factor(group)) {
    code <- group
    slot <- match(levels(group), groups)
  } else {
    code <- match(group, groups)
    slot <- seq_along(groups)
  }
  .Call(C_cell_split, y, wave, max(wave), code, slot, wave_values,
        cell_values && !is.factor(y) && !is.character(y))
}

# cell_split() in R, for any wave codes.
cell_split_r <- function(y, wave, group, groups, no_group) {
  has <- which(!is.na(y))
  wave_has <- wave[has]
  waves_present <- sort(unique(wave_has))
  wave_at <- match(wave_has, waves_present)
  group_at <- if (no_group) 1L else match(group[has], groups)
  n_g <- length(groups)
  list(waves = waves_present,
       cells = split_rows(has, (wave_at - 1L) * n_g + group_at,
                          length(waves_present) * n_g),
       wave_rows = split_rows(has, wave_at, length(waves_present)))
}

# Whether every value of a numeric y that is not missing is 0 or 1 (and
# some is), looking first at the first values (an outcome that is not
# binary usually shows it there) before all of them.
values_binary <- function(y) {
  head_y <- y[seq_len(min(length(y), 1000L))]
  head_y <- head_y[!is.na(head_y)]
  if (!all(head_y == 0 | head_y == 1)) return(FALSE)
  !all(is.na(y)) && !any(y != 0 & y != 1, na.rm = TRUE)
}

# split(x, key) for integer keys 1..k, empty groups included, unnamed:
# by a counting pass in C for plain integer rows (the common case), by
# split() otherwise (rows with names or other attributes keep them).
split_rows <- function(x, key, k) {
  key <- as.integer(key)
  if (is.integer(x) && is.null(attributes(x)) &&
      length(key) == length(x)) {
    out <- .Call(C_split_rows, x, key, as.integer(k))
    if (!is.null(out)) return(out)
  }
  key <- structure(key, levels = as.character(seq_len(k)),
                   class = "factor")
  unname(split(x, key))
}

# Hájek estimates of every cell and their joint covariance.
# `people`: for naive variances, the people of the survey design (everyone
# who answered at least once), as survey's one-stage cluster design counts
# them, distinct and in increasing order (answered_people()); by default
# the people of `rows`. `lean`: the influence values serve only the
# covariance and the table's tipping record, so columns that are sparse
# may stay so (influence_columns(), split_influence()); otherwise they are
# a dense people x cells matrix.
solve_cells <- function(w, cells, rows, se, people = NULL,
                        control = NULL, lean = FALSE) {
  n <- nrow(w$weights)
  q <- nrow(cells)
  nwave <- ncol(w$weights)
  # estimating functions, their weight derivatives (one matrix per wave
  # used) and influence values: people x cells each
  check_allocation(
    8 * n * q * (2 + length(unique(cells$wave_index))),
    sprintf("Estimating %d cells (groups x levels x waves) for %d people",
            q, n),
    "Use fewer groups (`by`) or levels, or merge small categories.",
    argument = if (any(!is.na(cells$from_status))) "status" else "by"
  )
  # the cells' entries as triplets person, cell, value with their weights,
  # fitted in C (cell_fit()); for naive influence values held by columns,
  # the columns themselves instead of the entries
  by_columns <- se == "naive" && lean
  fit <- cell_fit(w, cells, rows, columns = by_columns)
  entry_person <- fit$person
  entry_cell <- fit$cell
  len <- fit$len
  estimate <- fit$estimate
  sum_w <- fit$sum_w
  n_cell <- fit$n
  n_eff <- ifelse(n_cell > 0L, sum_w^2 / fit$sum_w2, 0)
  sd <- cell_sd(fit)
  # phi is not formed here: the influence kernel forms it from the entries
  # (w (y - mean) at person, cell) where it would otherwise copy it
  phi <- list(person = entry_person, cell = entry_cell, v = fit$v, n = n,
              q = q)
  fit$v <- NULL
  ok <- sum_w > 0
  if (se == "bootstrap") {
    boot <- bootstrap_cells(w, cells, rows, control)
    vc <- boot$vcov
    vc[!ok, ] <- NA
    vc[, !ok] <- NA
    return(list(estimate = estimate, vcov = vc, n = n_cell, n_eff = n_eff,
                sd = sd, influence = NULL, people = NULL,
                replicates = boot$replicates))
  }
  dmu <- diag(-ifelse(ok, sum_w, 1), q)
  if (se == "naive") {
    # (the residuals serve only the weights' derivatives)
    fit$resid <- NULL
    # as survey does: only people in the data (who answered at least once)
    people <- people %||% answered_people(rows, n)
    # the influence values of those people only: held by columns (each
    # entry's value divided by its cell's total weight, made by
    # cell_fit(); no people x cells matrix), or formed as the rows of the
    # n x q values when each entry's person is one of them
    infl <- if (by_columns) people_columns(fit$columns, people, n)
    if (is.null(infl)) {
      if (by_columns) {
        # (an entry's person is not among `people`: the entries after all)
        fit <- cell_fit(w, cells, rows)
        entry_person <- fit$person
        phi <- list(person = entry_person, cell = fit$cell, v = fit$v,
                    n = n, q = q)
      }
      everyone <- is_everyone(people, n)
      at <- if (everyone) {
        entry_person
      } else {
        slot <- integer(n)
        slot[people] <- seq_along(people)
        slot[entry_person]
      }
      if (everyone || all(at > 0L)) {
        phi$person <- at
        phi$n <- length(people)
        infl <- estimate_influence(w, phi, dmu, NULL, sandwich = FALSE)
      } else {
        infl <- estimate_influence(w, phi, dmu, NULL, sandwich = FALSE)
        infl <- infl[people, , drop = FALSE]
      }
    }
  } else {
    # d phi / d w_t: the residual of each entry, in its cell's column
    dphi_dw <- vector("list", nwave)
    # the entries of each wave, in order: the entries are made cell by
    # cell, so a wave's are its cells' runs (one range when its cells are
    # consecutive, as in a table of one outcome), without a vector of
    # every entry's wave
    end <- cumsum(len)
    for (t in sort(unique(cells$wave_index))) {
      ks <- which(cells$wave_index == t & len > 0L)
      if (!length(ks)) next
      if (all(diff(ks) == 1L)) {
        # one range: the entries read where they are (no copies)
        first <- end[ks[1L]] - len[ks[1L]] + 1L
        dphi_dw[[t]] <- list(rows = entry_person, col = entry_cell,
                             v = fit$resid,
                             range = c(first, end[ks[length(ks)]] - first + 1L))
        next
      }
      at <- unlist(lapply(ks, function(k) {
        seq.int(end[k] - len[k] + 1L, end[k])
      }))
      dphi_dw[[t]] <- list(rows = entry_person[at], col = entry_cell[at],
                           v = fit$resid[at])
    }
    fit$resid <- NULL
    infl <- estimate_influence(w, phi, dmu, dphi_dw, sandwich = TRUE,
                               split = lean)
    people <- seq_len(n)
  }
  vc <- influence_vcov(infl, w$panel$design, people)
  vc[!ok, ] <- NA
  vc[, !ok] <- NA
  list(estimate = estimate, vcov = vc, n = n_cell, n_eff = n_eff, sd = sd,
       influence = infl, people = people)
}

# Influence values held by columns (rows: people 1..n), as columns over
# `people` (distinct, increasing): the same columns when they are
# everyone, else each column's rows as positions among them (increasing
# still); NULL when a column has a row outside them.
people_columns <- function(columns, people, n) {
  if (!is_everyone(people, n)) {
    slot <- integer(n)
    slot[people] <- seq_along(people)
    for (k in seq_along(columns)) {
      at <- slot[columns[[k]][[1L]]]
      if (!all(at > 0L)) return(NULL)
      columns[[k]][[1L]] <- at
    }
  }
  structure(columns, class = "pa_columns", n = length(people))
}

# The cells' entries (a respondent's value in a cell) as triplets person,
# cell, value, each with its weight (read by its position in the weights
# matrix, for the entries' rows only), and the kernel's fit of them
# (estimate.c): totals, Hajek means, residuals, weighted sums of squared
# residuals per cell, and each entry's w (y - mean) (`v`). With `columns`,
# no entries: each cell's naive influence values as a sparse column
# list(people, values) (`columns`; see influence_columns()).
cell_fit <- function(w, cells, rows, columns = FALSE) {
  weights <- w$weights
  if (!is.double(weights)) storage.mode(weights) <- "double"
  members <- cells$members
  values <- cells$values
  plain <- function(v, type) {
    all(vapply(v, function(x) typeof(x) == type && is.null(attributes(x)),
               logical(1)))
  }
  if (!plain(members, "integer")) {
    members <- lapply(members, function(x) as.vector(as.integer(x)))
  }
  if (!plain(values, "double")) {
    values <- lapply(values, function(x) as.vector(as.double(x)))
  }
  .Call(C_cell_fit, unclass(members), unclass(values), as.integer(rows$person),
        as.integer(rows$wave), weights, columns)
}

# Whether `people` (distinct people in increasing order) are 1..n, all
# of them.
is_everyone <- function(people, n) {
  k <- length(people)
  # n strictly increasing integers from 1 to n are 1..n
  k == n && (k == 0L || is.integer(people) && !anyNA(people) &&
               people[1L] == 1L && people[k] == n &&
               !is.unsorted(people, strictly = TRUE))
}

# The people with a row in `rows` (1..n), distinct and in increasing order
# (sort(unique()) by marking rather than hashing and sorting).
answered_people <- function(rows, n) marked(person_mark(rows$person, n))

# which(mark), as the compact 1..n when every person is marked (whose
# order and completeness R knows without reading it: design_at() and
# is_everyone() then cost nothing).
marked <- function(mark) {
  if (all(mark)) seq_len(length(mark)) else which(mark)
}

# Each cell's weighted standard deviation of its values, as weighted_sd()
# computes it (the same sums in the same order; NA below two entries).
cell_sd <- function(fit) {
  sd <- rep(NA_real_, length(fit$n))
  two <- fit$n >= 2L
  sd[two] <- sqrt(fit$sum_wr2[two] / fit$sum_w[two])
  sd
}

# Replicate estimates of every cell from re-fitted replicate weights: the
# covariance of the estimates is the covariance of the replicates.
bootstrap_cells <- function(w, cells, rows, control) {
  reps <- replicate_weights(w, control, storage = "dense")
  failed <- attr(reps, "failed")
  resp <- w$panel$response
  q <- nrow(cells)
  n_rep <- ncol(reps[[1]])
  est <- matrix(NA_real_, n_rep, q)
  # per wave, one cross-product gives every replicate's weighted totals of
  # the values and of the weights in each of the wave's (non-empty) cells
  for (t in unique(cells$wave_index)) {
    ks <- which(cells$wave_index == t & lengths(cells$members) > 0L)
    if (!length(ks)) next
    slot <- integer(nrow(resp))
    slot[resp[, t]] <- seq_len(sum(resp[, t]))
    j_w <- length(ks) + seq_along(ks)
    z <- matrix(0, nrow(reps[[t]]), 2L * length(ks))
    for (j in seq_along(ks)) {
      i <- slot[rows$person[cells$members[[ks[j]]]]]
      z[i, j] <- cells$values[[ks[j]]]
      z[i, j_w[j]] <- 1
    }
    totals <- xt_a(reps[[t]], z)
    est[, ks] <- totals[, seq_along(ks)] / totals[, j_w]
  }
  est <- ok_replicates(est)
  vc <- if (nrow(est) > 1L) stats::cov(est) else matrix(NA_real_, q, q)
  list(vcov = vc, replicates = est, failed = failed)
}

# The replicates (rows) that did not fail: those without a missing value
# in any column that has a value in some replicate (a column missing
# throughout, such as a suppressed row's, does not count).
ok_replicates <- function(est) {
  ok <- stats::complete.cases(est[, colSums(is.na(est)) < nrow(est),
                                  drop = FALSE])
  est[ok, , drop = FALSE]
}

check_boot_use <- function(se, control, estimator) {
  if (se != "bootstrap") {
    if (!is.null(control)) {
      pa_abort("`control` is for se = \"bootstrap\".",
               class = "panelattrition_arg_error", argument = "control")
    }
    return(NULL)
  }
  if (estimator == "aipw") {
    pa_abort(paste("Bootstrap standard errors are not available for the",
                   "doubly robust estimator; its sandwich variance already",
                   "counts the weights and the outcome regressions."),
             class = "panelattrition_arg_error", argument = "se")
  }
  control <- control %||% boot_control()
  if (!inherits(control, "pa_boot_control")) {
    arg_error("control", "a boot_control() object", control)
  }
  control
}

weighted_sd <- function(x, w) {
  if (length(x) < 2L) return(NA_real_)
  m <- sum(w * x) / sum(w)
  sqrt(sum(w * (x - m)^2) / sum(w))
}

# A copy of w in which every respondent has weight 1 and no stage is
# estimated: complete-case analysis.
unit_weights <- function(w) {
  w$weights[!is.na(w$weights)] <- 1
  w$stages <- list()
  w$numerator_stages <- list()
  w
}

# Tables --------------------------------------------------------------------

build_estimates <- function(cells, est, by, conf_level, ci, min_n, waves,
                            attrs) {
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  se <- sqrt(pmax(diag(est$vcov), 0))
  # overflow gives Inf or NaN; an empty cell's NA is not one of them
  bad <- is.infinite(est$estimate) | is.nan(est$estimate) | is.infinite(se) |
    is.nan(se)
  if (any(bad)) {
    arg <- switch(attrs$kind %||% "", panel_change = "outcome",
                  transitions = , `share changed` = "status", "outcomes")
    abort_nonfinite(cells$outcome[which(bad)[1L]], arg)
  }
  low <- est$estimate - z * se
  high <- est$estimate + z * se
  prop <- cells$type == "proportion"
  if (!is.null(est$replicates)) {
    # percentile intervals from the replicates
    alpha <- 1 - conf_level
    lims <- apply(est$replicates, 2, function(v) {
      if (all(is.na(v))) return(c(NA_real_, NA_real_))
      stats::quantile(v, c(alpha / 2, 1 - alpha / 2), names = FALSE,
                      na.rm = TRUE)
    })
    low <- lims[1, ]
    high <- lims[2, ]
    prop <- rep(FALSE, length(prop))
  }
  if (any(prop)) {
    lims <- proportion_interval(est$estimate[prop], se[prop], est$n[prop],
                                conf_level, ci)
    low[prop] <- lims[, 1]
    high[prop] <- lims[, 2]
  }
  supp <- suppress_cells(cells, est$n, min_n)
  suppressed <- supp$suppressed
  suppression_message(supp$primary, suppressed, min_n)
  out <- data.frame(outcome = cells$outcome, level = cells$level,
                    wave = factor(waves[cells$wave_index], levels = waves),
                    stringsAsFactors = FALSE)
  if (!is.null(by)) out[[by]] <- cells$group
  out$estimate <- est$estimate
  out$std_error <- se
  out$conf_low <- low
  out$conf_high <- high
  out$n <- round_counts(est$n)
  out$n_eff <- est$n_eff
  out$suppressed <- suppressed
  masked <- mask_suppressed(out, est, suppressed)
  out <- masked$out
  est <- masked$est
  vc <- est$vcov
  # each estimate's influence values (people x estimates) and which
  # people, for the function that made the table to summarise and drop
  # (finish_table()); tables keep no per-person values
  if (!is.null(est$influence)) {
    attrs$influence <- list(values = est$influence, people = est$people)
  } else {
    attrs$replicates <- est$replicates
  }
  new_estimates(out, vc, attrs)
}

# A pa_estimates table: a data frame with the covariance of its estimates
# and the settings that produced it.
new_estimates <- function(out, vcov, attrs) {
  rownames(out) <- NULL
  # attributes set one by one: do.call() would evaluate the stored call
  for (a in names(attrs)) attr(out, a) <- attrs[[a]]
  attr(out, "vcov") <- vcov
  class(out) <- c("pa_estimates", "data.frame")
  seal_estimates(out)
}

proportion_interval <- function(p, se, n, conf_level, ci) {
  alpha <- 1 - conf_level
  z <- stats::qnorm(1 - alpha / 2)
  out <- matrix(NA_real_, length(p), 2)
  for (k in seq_along(p)) {
    pk <- p[k]
    if (is.na(pk)) next
    if (ci == "logit" && pk > 0 && pk < 1 && se[k] > 0) {
      half <- z * se[k] / (pk * (1 - pk))
      out[k, ] <- stats::plogis(stats::qlogis(pk) + c(-1, 1) * half)
    } else {
      # Korn-Graubard: Clopper-Pearson at the effective sample size
      neff <- if (se[k] > 0 && pk > 0 && pk < 1) pk * (1 - pk) / se[k]^2 else n[k]
      x <- neff * pk
      lo <- if (x > 0) stats::qbeta(alpha / 2, x, neff - x + 1) else 0
      hi <- if (x < neff) stats::qbeta(1 - alpha / 2, x + 1, neff - x) else 1
      out[k, ] <- c(lo, hi)
    }
  }
  out
}

# Check `from` and `to` and return the index of `to`, which must be later.
wave_pair <- function(from, to, waves) {
  check_wave(from, waves, "from")
  check_wave(to, waves, "to")
  if (match(to, waves) <= match(from, waves)) {
    pa_abort(sprintf("`to` (%s) must be a later wave than `from` (%s).", to,
                     from),
             class = "panelattrition_arg_error", argument = "to")
  }
  match(to, waves)
}

# Comparisons -------------------------------------------------------------

#' Compare groups in an estimate table
#'
#' Differences between the groups of a table made with `by =`: every pair
#' of groups, or every group against a reference group, within each
#' outcome, category and wave, with standard errors from the full
#' covariance matrix of the estimates (so weights estimated once for all
#' groups, and people shared between waves, are accounted for), intervals,
#' z tests and p-values adjusted for multiple comparisons within each
#' outcome and wave by [stats::p.adjust()]. An omnibus Wald test of
#' equality of all groups uses the same covariance matrix.
#'
#' @param x A `pa_estimates` table with a `by` variable, from
#'   [wave_means()] or [panel_change()].
#' @param ref Optional reference group: differences are then each group
#'   minus `ref`; otherwise every pair (later group minus earlier group in
#'   the table's order).
#' @param adjust A method of [stats::p.adjust()].
#' @param conf_level Confidence level of the intervals (defaults to the
#'   table's).
#' @return A data frame of class `pa_comparison` with columns `outcome`,
#'   `level`, `wave` (and `from` for changes), `contrast`, `group`,
#'   `versus`, `estimate`, `std_error`, `conf_low`, `conf_high`,
#'   `statistic`, `p_value`, `p_adjusted`, and the attribute `omnibus`: one
#'   row per outcome and wave with the Wald `statistic`, its `df` and
#'   `p_value`.
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
#' m <- wave_means(w, "wellbeing", by = "group")
#' compare_groups(m, ref = "integrated")
compare_groups <- function(x, ref = NULL, adjust = "holm",
                           conf_level = attr(x, "conf_level")) {
  check_required("x")
  if (!inherits(x, "pa_estimates")) {
    arg_error("x", "a pa_estimates table", x)
  }
  by <- attr(x, "by")
  if (is.null(by)) {
    pa_abort("`x` has no groups to compare: make it with `by =`.",
             class = "panelattrition_arg_error", argument = "x")
  }
  if (!is.character(adjust) || length(adjust) != 1L ||
      !adjust %in% stats::p.adjust.methods) {
    arg_error("adjust", paste("one of", paste(stats::p.adjust.methods,
                                              collapse = ", ")), adjust)
  }
  check_conf_level(conf_level)
  if (!by %in% names(x)) {
    pa_abort(sprintf("`x` has lost its group column `%s`.", by),
             class = c("panelattrition_table_error", "panelattrition_arg_error"),
             argument = "x")
  }
  groups <- x[[by]]
  if (!is.null(ref) && (!is.atomic(ref) || length(ref) != 1L || is.na(ref))) {
    arg_error("ref", "a single group", ref)
  }
  if (!is.null(ref) && !ref %in% groups) {
    arg_error("ref", sprintf("one of the groups (%s)",
                             paste(unique(groups), collapse = ", ")), ref)
  }
  vc <- table_vcov(x, "compare_groups()")
  keys <- intersect(c("outcome", "level", "from", "wave", "from_status",
                      "to_status"), names(x))
  stratum <- interaction(lapply(x[keys], function(v) addNA(factor(v))),
                         drop = TRUE, lex.order = TRUE)
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  contrasts <- list()
  omnibus <- list()
  for (s in levels(stratum)) {
    idx <- which(stratum == s & !x$suppressed)
    if (length(idx) < 2L) next
    g <- as.character(groups[idx])
    pairs <- if (is.null(ref)) {
      utils::combn(seq_along(idx), 2)[2:1, , drop = FALSE]
    } else {
      r <- match(ref, g)
      if (is.na(r)) next
      rbind(setdiff(seq_along(idx), r), r)
    }
    a <- idx[pairs[1, ]]
    b <- idx[pairs[2, ]]
    est <- x$estimate[a] - x$estimate[b]
    se <- sqrt(pmax(vc[cbind(a, a)] + vc[cbind(b, b)] - 2 * vc[cbind(a, b)],
                    0))
    stat <- est / se
    p <- 2 * stats::pnorm(-abs(stat))
    head_cols <- x[a, keys, drop = FALSE]
    contrasts[[s]] <- cbind(
      head_cols,
      data.frame(row_a = a, row_b = b,
                 contrast = paste(groups[a], "-", groups[b]),
                 group = groups[a], versus = groups[b], estimate = est,
                 std_error = se, conf_low = est - z * se,
                 conf_high = est + z * se, statistic = stat, p_value = p,
                 p_adjusted = stats::p.adjust(p, adjust),
                 stringsAsFactors = FALSE)
    )
    k <- length(idx)
    cmat <- cbind(-1, diag(k - 1))
    d <- cmat %*% x$estimate[idx]
    cv <- cmat %*% vc[idx, idx] %*% t(cmat)
    wald <- tryCatch(drop(t(d) %*% solve(cv, d)), error = function(e) NA_real_)
    omnibus[[s]] <- cbind(x[idx[1], keys, drop = FALSE],
                          data.frame(groups = k, statistic = wald, df = k - 1,
                                     p_value = stats::pchisq(wald, k - 1,
                                                             lower.tail = FALSE)))
  }
  out <- do.call(rbind, contrasts)
  om <- do.call(rbind, omnibus)
  if (is.null(out)) {
    pa_abort("No stratum of `x` has two or more groups with estimates to compare.",
             class = "panelattrition_arg_error", argument = "x")
  }
  rownames(out) <- NULL
  rownames(om) <- NULL
  if ("level" %in% names(out) && all(is.na(out$level))) {
    out$level <- NULL
    om$level <- NULL
  }
  # rows of `x` behind each contrast, for the sensitivity analyses
  pairs <- out[c("row_a", "row_b")]
  out$row_a <- NULL
  out$row_b <- NULL
  structure(out, class = c("pa_comparison", "data.frame"), omnibus = om,
            by = by, adjust = adjust, conf_level = conf_level,
            estimates = x, pairs = pairs)
}

#' @rdname compare_groups
#' @param digits Significant digits for printing.
#' @param ... Unused.
#' @export
print.pa_comparison <- function(x, digits = 4, ...) {
  cat(sprintf("<pa_comparison> differences between groups of `%s`; p-values adjusted by %s\n",
              attr(x, "by"), attr(x, "adjust")))
  df <- x
  class(df) <- "data.frame"
  for (a in c("omnibus", "estimates", "pairs")) attr(df, a) <- NULL
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) signif(v, digits))
  print(df, row.names = FALSE)
  cat("\nOmnibus Wald tests of equality across groups:\n")
  om <- attr(x, "omnibus")
  num <- vapply(om, is.double, logical(1))
  om[num] <- lapply(om[num], function(v) signif(v, digits))
  print(om, row.names = FALSE)
  invisible(x)
}
