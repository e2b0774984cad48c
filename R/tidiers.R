# broom-style tidiers for every result (generics is a small import, and
# tidy() and glance() are re-exported so they work after
# library(panelattrition)). Each tidy() has the broom columns (term,
# estimate, std.error, statistic, p.value, and conf.low, conf.high with
# conf.int = TRUE) plus the table's own keys; a suppressed cell keeps its
# row, with every number missing, and no count.

#' @importFrom generics tidy glance
#' @export
generics::tidy

#' @export
generics::glance

#' Tidy results in the broom convention
#'
#' `tidy()` gives one row per estimate with `term` (a readable label made
#' of the row's keys, unique within the table), the table's key columns
#' (outcome, level, waves, group, ...), `estimate`, `std.error`,
#' `statistic`, `p.value` and, with `conf.int = TRUE`, `conf.low` and
#' `conf.high`. `glance()` gives one row about the whole result. The
#' tables work with modelsummary and with dplyr. Suppressed cells (fewer
#' than `min_n` respondents) keep their row with every number missing and
#' `suppressed = TRUE`; no count is given for them.
#'
#' * Group comparisons: one row per difference (`term` the contrast), with
#'   `p.adjusted`; `glance()` the number of contrasts and the adjustment.
#' * Tipping points: the grid of `delta` (`component = "grid"`) or one row
#'   per estimate with its tipping point (`component = "tipping"`).
#' * Tilting: one row per value of `alpha`, wave and group.
#' * Sensitivity summaries ([sensitivity_summary()]): one row per estimate,
#'   the statistic against its `null`, with the tipping points and bounds
#'   as further columns.
#' * Bounds: two rows per cell, the lower and the upper bound
#'   (`bound`), each with its standard error; `conf.low`, `conf.high` are
#'   the Imbens-Manski interval for the whole range.
#' * Weights: the coefficients of the response models
#'   ([response_models()]); `glance()` the method and the smallest
#'   effective sample size.
#' * GEE fits: the coefficients; `glance()` has `nobs` (answers),
#'   `n_clusters` (people), the working correlation and the scale.
#'
#' @param x A result of the package.
#' @param conf.int Include `conf.low` and `conf.high`.
#' @param conf.level Level of the interval; estimate tables are computed
#'   at one level, which `conf.level` must match.
#' @param component For tipping points: `"grid"` or `"tipping"`.
#' @param ... Unused.
#' @return A data frame.
#' @name pa_tidiers
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
#' tidy(m, conf.int = TRUE)
#' tidy(compare_groups(m))
#' fit <- ipw_gee(self_efficacy ~ wave + group, w)
#' glance(fit)
NULL

# A readable label for each row from its key columns.
row_terms <- function(df, keys) {
  if (!length(keys)) return(as.character(seq_len(nrow(df))))
  parts <- lapply(df[keys], function(v) {
    v <- as.character(v)
    ifelse(is.na(v), "", v)
  })
  if (all(c("from", "wave") %in% keys)) {
    parts$wave <- paste(parts$from, "to", parts$wave)
    parts$from <- NULL
  }
  if (all(c("from_status", "to_status") %in% keys)) {
    parts$to_status <- paste(parts$from_status, "->", parts$to_status)
    parts$from_status <- NULL
  }
  term <- do.call(paste, parts)
  term <- gsub("\\s+", " ", trimws(term))
  make.unique(term, sep = " #")
}

check_conf_int <- function(conf.int) check_flag(conf.int, "conf.int")

#' @rdname pa_tidiers
#' @export
tidy.pa_estimates <- function(x, conf.int = FALSE,
                              conf.level = attr(x, "conf_level"), ...) {
  check_conf_int(conf.int)
  if (!is.numeric(conf.level) || length(conf.level) != 1L || is.na(conf.level)) {
    arg_error("conf.level", "a number between 0 and 1", conf.level)
  }
  if (!isTRUE(all.equal(conf.level, attr(x, "conf_level")))) {
    pa_abort(sprintf("tidy(): `conf.level` must be the table's own level (%g); recompute the estimates with `conf_level = %g`.",
                     attr(x, "conf_level"), conf.level),
             class = "panelattrition_arg_error", argument = "conf.level")
  }
  df <- as.data.frame(x)
  keys <- setdiff(names(df), c("estimate", "std_error", "conf_low",
                               "conf_high", "n", "n_eff", "suppressed",
                               "statistic", "p_value", "sd_change", "smc"))
  out <- df[keys]
  out$term <- row_terms(df, keys)
  out <- wald_columns(out, df, conf.int)
  out$suppressed <- df$suppressed
  rownames(out) <- NULL
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_estimates <- function(x, ...) {
  out <- summary.pa_estimates(x)
  class(out) <- "data.frame"
  out$nobs <- out$estimates
  out
}

#' @rdname pa_tidiers
#' @export
tidy.pa_comparison <- function(x, conf.int = FALSE, ...) {
  check_conf_int(conf.int)
  df <- x
  class(df) <- "data.frame"
  keys <- intersect(c("outcome", "level", "from", "wave", "group", "versus"),
                    names(df))
  out <- df[keys]
  out$term <- row_terms(cbind(df["contrast"], df[setdiff(keys, c("group", "versus"))]),
                        c(setdiff(keys, c("group", "versus")), "contrast"))
  out$estimate <- df$estimate
  out$std.error <- df$std_error
  out$statistic <- df$statistic
  out$p.value <- df$p_value
  out$p.adjusted <- df$p_adjusted
  if (conf.int) {
    out$conf.low <- df$conf_low
    out$conf.high <- df$conf_high
  }
  for (a in names(attributes(out))) {
    if (!a %in% c("names", "row.names", "class")) attr(out, a) <- NULL
  }
  rownames(out) <- NULL
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_comparison <- function(x, ...) {
  est <- attr(x, "estimates")
  data.frame(by = attr(x, "by") %||% NA_character_,
             contrasts = nrow(x),
             adjust = attr(x, "adjust") %||% NA_character_,
             conf_level = attr(x, "conf_level") %||% NA_real_,
             suppressed_cells = if (is.null(est)) NA_integer_ else
               sum(est$suppressed),
             nobs = nrow(x))
}

#' @rdname pa_tidiers
#' @export
tidy.pa_tipping <- function(x, conf.int = FALSE,
                            component = c("grid", "tipping"), ...) {
  check_conf_int(conf.int)
  component <- match_choice(component, c("grid", "tipping"), "component")
  if (component == "tipping") {
    tip <- attr(x, "tipping")
    keys <- setdiff(names(tip), c("estimate", "null", "criterion",
                                  "conclusion", "tipping_delta",
                                  "direction", "note"))
    out <- tip[keys]
    out$term <- row_terms(tip, keys)
    out$estimate <- tip$estimate
    out$null <- tip$null
    out$tipping_delta <- tip$tipping_delta
    out$conclusion <- tip$conclusion
    out$direction <- tip$direction
    rownames(out) <- NULL
    return(out)
  }
  df <- x
  class(df) <- "data.frame"
  for (a in setdiff(names(attributes(df)), c("names", "row.names", "class"))) {
    attr(df, a) <- NULL
  }
  keys <- setdiff(names(df), c("estimate", "std_error", "conf_low",
                               "conf_high", "p_value", "n", "n_eff",
                               "suppressed"))
  out <- df[keys]
  out$term <- row_terms(df, keys)
  z <- df$estimate / df$std_error
  out <- wald_columns(out, df, conf.int, z,
                      df$p_value %||% (2 * stats::pnorm(-abs(z))))
  rownames(out) <- NULL
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_tipping <- function(x, ...) {
  tip <- attr(x, "tipping")
  data.frame(estimates = nrow(tip),
             tipped = sum(!is.na(tip$tipping_delta)),
             smallest_tipping_delta = if (any(!is.na(tip$tipping_delta))) {
               tip$tipping_delta[which.min(abs(tip$tipping_delta))]
             } else NA_real_,
             criterion = attr(x, "criterion") %||% NA_character_,
             scale = attr(x, "scale") %||% NA_character_,
             conf_level = attr(x, "conf_level") %||% NA_real_,
             nobs = nrow(tip))
}

#' @rdname pa_tidiers
#' @export
tidy.pa_tilt <- function(x, conf.int = FALSE, ...) {
  check_conf_int(conf.int)
  df <- x
  class(df) <- "data.frame"
  keys <- intersect(c("alpha", "wave", "group"), names(df))
  out <- df[keys]
  for (a in setdiff(names(attributes(out)), c("names", "row.names", "class"))) {
    attr(out, a) <- NULL
  }
  out$term <- row_terms(cbind(df[keys], prefix = "alpha"),
                        c("prefix", keys))
  out <- wald_columns(out, df, conf.int)
  out$suppressed <- df$suppressed
  rownames(out) <- NULL
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_tilt <- function(x, ...) {
  df <- x
  class(df) <- "data.frame"
  data.frame(outcome = attr(x, "outcome") %||% NA_character_,
             alphas = length(unique(df$alpha)),
             min_alpha = min(df$alpha), max_alpha = max(df$alpha),
             scale = attr(x, "scale") %||% NA_character_,
             suppressed = sum(df$suppressed),
             nobs = nrow(df))
}

#' @rdname pa_tidiers
#' @export
tidy.pa_bounds <- function(x, conf.int = FALSE, ...) {
  check_conf_int(conf.int)
  df <- x
  class(df) <- "data.frame"
  keys <- intersect(c("wave", "group"), names(df))
  one <- function(bound, est, se) {
    out <- df[keys]
    for (a in setdiff(names(attributes(out)), c("names", "row.names", "class"))) {
      attr(out, a) <- NULL
    }
    out$bound <- bound
    out$term <- paste(row_terms(df, keys), bound, "bound")
    out$estimate <- est
    out$std.error <- se
    out$statistic <- NA_real_
    out$p.value <- NA_real_
    if (conf.int) {
      out$conf.low <- df$conf_low
      out$conf.high <- df$conf_high
    }
    out$suppressed <- df$suppressed
    out
  }
  out <- rbind(one("lower", df$lower, df$se_lower),
               one("upper", df$upper, df$se_upper))
  ord <- order(rep(seq_len(nrow(df)), 2L))
  out <- out[ord, , drop = FALSE]
  rownames(out) <- NULL
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_bounds <- function(x, ...) {
  df <- x
  class(df) <- "data.frame"
  data.frame(outcome = attr(x, "outcome") %||% NA_character_,
             assume = attr(x, "assume") %||% NA_character_,
             cells = nrow(df), suppressed = sum(df$suppressed),
             widest = shown_extreme(df$width, max),
             conf_level = attr(x, "conf_level") %||% NA_real_,
             nobs = nrow(df))
}

#' @rdname pa_tidiers
#' @export
tidy.pa_weights <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  check_conf_int(conf.int)
  rm <- response_models(x)
  out <- data.frame(stage = rm$stage, wave = rm$wave,
                    term = paste(rm$wave, rm$term), model_term = rm$term,
                    estimate = rm$estimate, std.error = rm$std_error,
                    stringsAsFactors = FALSE)
  out$statistic <- out$estimate / out$std.error
  out$p.value <- 2 * stats::pnorm(-abs(out$statistic))
  if (conf.int) {
    z <- stats::qnorm(1 - (1 - conf.level) / 2)
    out$conf.low <- out$estimate - z * out$std.error
    out$conf.high <- out$estimate + z * out$std.error
  }
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_weights <- function(x, ...) {
  e <- ess(x)
  data.frame(method = x$method, monotone = x$monotone,
             stabilize = x$stabilize, waves = ncol(x$weights),
             people = nrow(x$weights),
             min_ess = min(e$ess), last_wave_ess = e$ess[nrow(e)],
             max_weight = max(x$weights, na.rm = TRUE),
             nobs = nrow(x$weights))
}

#' @rdname pa_tidiers
#' @export
tidy.pa_gee <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  tab <- gee_table(x)
  out <- data.frame(term = tab$term, estimate = tab$estimate,
                    std.error = tab$std_error, statistic = tab$statistic,
                    p.value = tab$p_value, stringsAsFactors = FALSE)
  if (isTRUE(conf.int)) {
    ci <- confint.pa_gee(x, level = conf.level)
    out$conf.low <- unname(ci[, 1])
    out$conf.high <- unname(ci[, 2])
  }
  out
}

#' @rdname pa_tidiers
#' @export
glance.pa_gee <- function(x, ...) {
  data.frame(nobs = x$n_obs, n_clusters = x$n_clusters,
             family = x$family$family, link = x$family$link,
             corstr = x$corstr, se = x$se, scale = x$scale,
             alpha = x$alpha %||% NA_real_, converged = x$converged,
             stringsAsFactors = FALSE)
}

#' @rdname pa_tidiers
#' @export
tidy.pa_flow <- function(x, ...) {
  out <- x
  class(out) <- "data.frame"
  for (a in setdiff(names(attributes(out)), c("names", "row.names", "class"))) {
    attr(out, a) <- NULL
  }
  out$term <- paste(out$group, out$wave)
  out$estimate <- out$percent
  out
}

# The broom columns of a table of estimates with standard errors: estimate,
# std.error, the Wald statistic and its two-sided normal p-value, and with
# `conf.int` the table's own interval.
wald_columns <- function(out, df, conf.int,
                         statistic = df$estimate / df$std_error,
                         p_value = 2 * stats::pnorm(-abs(statistic))) {
  out$estimate <- df$estimate
  out$std.error <- df$std_error
  out$statistic <- statistic
  out$p.value <- p_value
  if (conf.int) {
    out$conf.low <- df$conf_low
    out$conf.high <- df$conf_high
  }
  out
}

#' @rdname sensitivity_summary
#' @param conf.int Include `conf.low` and `conf.high`.
#' @export
tidy.pa_sensitivity_summary <- function(x, conf.int = FALSE, ...) {
  check_conf_int(conf.int)
  df <- x
  class(df) <- "data.frame"
  keys <- setdiff(names(df), c(
    "estimate", "std_error", "conf_low", "conf_high", "null",
    "tipping_delta", "tipping_delta_sd", "tipping_share", "tipping_alpha",
    "tipping_alpha_benchmark", "manski_lower", "manski_upper", "lee_lower",
    "lee_upper", "suppressed"))
  out <- df[keys]
  for (a in setdiff(names(attributes(out)), c("names", "row.names", "class"))) {
    attr(out, a) <- NULL
  }
  out$term <- row_terms(df, keys)
  null <- ifelse(is.na(df$null), 0, df$null)
  out <- wald_columns(out, df, conf.int,
                      statistic = (df$estimate - null) / df$std_error)
  out$null <- df$null
  for (v in c("tipping_delta", "tipping_delta_sd", "tipping_share",
              "tipping_alpha", "tipping_alpha_benchmark", "manski_lower",
              "manski_upper", "lee_lower", "lee_upper", "suppressed")) {
    out[[v]] <- df[[v]]
  }
  rownames(out) <- NULL
  out
}

#' @rdname sensitivity_summary
#' @export
glance.pa_sensitivity_summary <- function(x, ...) {
  df <- x
  class(df) <- "data.frame"
  data.frame(kind = attr(x, "kind") %||% NA_character_,
             rows = nrow(df),
             with_tipping = sum(!is.na(df$tipping_delta) |
                                  !is.na(df$tipping_alpha)),
             suppressed = sum(df$suppressed %in% TRUE),
             nobs = nrow(df))
}
