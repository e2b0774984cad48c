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

# The methods live in tipping.R, tilt.R and bounds.R, one file each; this
# file holds their print() and plot() methods and the checks they share.

# Tipping points ------------------------------------------------------------

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
  cat(tilt_variance_note(x), "\n", sep = "")
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
    method <- attr(x, "method") %||% "input"
    key <- paste(mar$wave, mar$group)
    at0 <- zero$estimate[match(key, paste(zero$wave, zero$group))]
    gap <- abs(at0 - mar$estimate)
    if (all(is.na(gap) | gap <= 1e-8 * pmax(1, abs(mar$estimate)))) {
      cat(sprintf(paste0("\nAt alpha = 0 the curve is the %s weights' own ",
                         "(missing at random) estimate.\n"), method))
    } else {
      # unanchored tilted stages of a Firth fit: their alpha = 0 differs
      # from the penalised fit by O(1/n)
      cat(sprintf(paste0("\nMAR estimates: the tilted stages at alpha = 0 ",
                         "and the input %s weights\n"), method))
      cmp <- data.frame(wave = mar$wave, group = mar$group,
                        tilted = signif(at0, digits),
                        weights = signif(mar$estimate, digits),
                        weights_se = signif(mar$std_error, digits))
      print(cmp, row.names = FALSE)
    }
  }
  invisible(x)
}

# The variance behind a pa_tilt table and what the curve is anchored on,
# for print(): the sandwich, or the bootstrap with its B, kind and seed.
tilt_variance_note <- function(x) {
  bt <- attr(x, "bootstrap")
  jk <- attr(x, "jackknife")
  variance <- if (identical(attr(x, "se"), "jackknife") && !is.null(jk)) {
    failed <- length(attr(x, "failed"))
    sprintf(paste0("Standard errors: delete-a-group jackknife, %d random",
                   " groups (seed %d%s), t intervals on %d degrees of",
                   " freedom%s"),
            jk$groups, jk$seed,
            if (failed) sprintf("; %d failed", failed) else "",
            jk$groups - 1L,
            if (isTRUE(jk$bias_correct)) {
              "; estimates less the jackknife's estimate of the tilt's bias"
            } else "")
  } else if (identical(attr(x, "se"), "bootstrap") && !is.null(bt)) {
    failed <- length(attr(x, "failed"))
    sprintf(paste0("Standard errors: %s bootstrap, B = %d (seed %.0f%s),",
                   " percentile intervals"),
            boot_type_label(bt$type), bt$B, bt$seed,
            if (failed) sprintf("; %d failed", failed) else "")
  } else {
    "Standard errors: sandwich counting every stage of the tilted weights"
  }
  anchor <- attr(x, "anchor")
  anchoring <- if (is.null(anchor)) "" else if (isFALSE(anchor)) {
    "; not anchored (the tilted estimates themselves)"
  } else {
    "; anchored on the input weights' estimate"
  }
  tips <- attr(x, "tipping")
  searched <- if (!is.null(tips) && any(tips$criterion == "interval")) {
    sprintf("; tipping points on the %s intervals",
            switch(attr(x, "se") %||% "sandwich", bootstrap = "bootstrap",
                   jackknife = "jackknife", "sandwich"))
  } else ""
  paste0(variance, anchoring, searched, ".")
}

# Worst-case bounds ---------------------------------------------------------

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

# The outcome as numbers over the rows of the panel's data: itself for
# numeric outcomes, an indicator for logical ones and for a category of a
# factor. `binary = TRUE` refuses anything that is not binary.
sensitivity_outcome <- function(w, outcome, rows, category, binary) {
  check_string(outcome, "outcome")
  data <- w$panel$data
  if (!outcome %in% names(data)) {
    pa_abort(c(sprintf("`outcome` names `%s`, which is not a column of the panel's data.",
                       outcome), did_you_mean(outcome, names(data))),
             class = "panelattrition_arg_error", argument = "outcome")
  }
  y <- data[[outcome]]
  check_plain_column(y, outcome, "outcome")
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

# What a sensitivity model reads of the panel: its rows, the outcome's
# values (sensitivity_outcome()) and the waves to analyse
# (sensitivity_waves()), with a classed error when the outcome has no
# value at one of those waves.
sensitivity_inputs <- function(w, outcome, wave, category, binary) {
  rows <- panel_rows(w)
  yv <- sensitivity_outcome(w, outcome, rows, category, binary = binary)
  t_idx <- sensitivity_waves(w, wave)
  check_wave_answers(yv$values, rows, w$panel$waves, t_idx, outcome,
                     "outcome",
                     hint = "Choose the waves where it was asked with `wave`, or check the column.")
  list(rows = rows, yv = yv, t_idx = t_idx)
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
