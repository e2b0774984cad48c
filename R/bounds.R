# Worst-case bounds (Manski) with Imbens-Manski intervals: no model for
# the dropouts at all. print() and plot() methods are in sensitivity.R.

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
#' @param conf_level Confidence level, above 0.5.
#' @param level Deprecated name of `conf_level`.
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
                             assume = c("none", "monotone"),
                             conf_level = 0.95, category = NULL,
                             min_n = getOption("panelattrition.min_n", 5),
                             level = NULL) {
  check_required("w", "outcome")
  check_weights_object(w)
  assume <- match_choice(assume, c("none", "monotone"), "assume")
  check_min_n(min_n)
  level <- resolve_conf_level(conf_level, level, "attrition_bounds",
                              lower = 0.5)
  inp <- sensitivity_inputs(w, outcome, wave, category, binary = TRUE)
  rows <- inp$rows
  yv <- inp$yv
  t_idx <- inp$t_idx
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
        manski_bounds(y, d, members[[k]], n_all, assume, level,
                      w$panel$design)
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
manski_bounds <- function(y, d, grp, n_all, assume, level, design = NULL) {
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
  se_low <- sqrt(influence_vcov(matrix(infl_low, ncol = 1L), design)[1L, 1L])
  se_up <- sqrt(influence_vcov(matrix(infl_up, ncol = 1L), design)[1L, 1L])
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
