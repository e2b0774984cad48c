# Scoring and checking multi-item rating scales.
#
# Survey outcomes such as wellbeing or self-efficacy are answered as several
# items and analysed as one score per person and wave. The scores made here
# are ordinary numeric columns, so they go through panel_data() and the
# estimators like any other outcome. Items are validated before anything is
# computed: a value outside the response range is nearly always a coding
# slip (a "don't know" stored as 9, a scale exported as 0-4 instead of 1-5),
# and scoring it silently would move every estimate downstream.

# Scoring ----------------------------------------------------------------

#' Score a multi-item scale
#'
#' Combines the answers to several items into one score per row, after
#' reverse-scoring the items worded in the opposite direction. Rows are
#' scored as they are, so long panel data (one row per person and wave)
#' gives one score per person and wave.
#'
#' A row with fewer than `min_items` answered items gets `NA`. Otherwise the
#' score is the mean of the answered items (`fun = "mean"`), or that mean
#' multiplied by the number of items (`fun = "sum"`). The second is a
#' prorated sum: it is on the scale of the full sum, and a skipped item does
#' not pull a person's total down as if it had been answered with zero.
#' With no missing items it equals the plain sum.
#'
#' When `range` is given, every answer must be a whole number within it;
#' anything else is an error of class `panelattrition_scale_error` listing,
#' for each offending item, how many rows are affected, the first rows and
#' the values found. Without `range`, only infinite values are refused.
#'
#' @param data A data frame with one column per item.
#' @param items A character vector naming the item columns of `data`. They
#'   must hold numbers (integer or double). A logical column with no value
#'   at all is accepted as an item nobody answered, since that is how
#'   [read_survey()] types an empty column.
#' @param reverse `NULL`, or the names of the items, among `items`, that are
#'   reverse-scored: `x` becomes `range[1] + range[2] - x`. Needs `range`.
#' @param range `NULL`, or the response range `c(low, high)` as two whole
#'   numbers, e.g. `c(1, 5)` for a five-point rating.
#' @param min_items The smallest number of answered items a row needs to get
#'   a score, a whole number from 1 to `length(items)`. `NULL` (the default)
#'   requires every item.
#' @param fun `"mean"` (the default) for the mean of the answered items, or
#'   `"sum"` for the prorated sum described above.
#'
#' @return A numeric vector with one score per row of `data`, with attribute
#'   `n_items`: the number of items each row answered (an integer vector).
#'
#' @references
#' Schafer, J. L. and Graham, J. W. (2002). Missing data: Our view of the
#' state of the art. *Psychological Methods*, 7, 147-177 (on averaging the
#' available items of a scale).
#'
#' Mazza, G. L., Enders, C. K. and Ruehlman, L. S. (2015). Addressing
#' item-level missing data: A comparison of proration and full information
#' maximum likelihood estimation. *Multivariate Behavioral Research*, 50,
#' 504-519.
#'
#' @seealso [instruments()] and [score_instrument()] for published
#'   instruments, [scale_reliability()] for internal consistency.
#' @export
#' @examples
#' answers <- data.frame(
#'   q1 = c(4, 2, 5, NA),
#'   q2 = c(5, 1, NA, NA),
#'   q3 = c(2, 4, 1, 3)   # worded negatively
#' )
#' # Mean of the answered items, q3 reversed on a 1-5 scale (3 -> 3, 1 -> 5)
#' score_scale(answers, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5),
#'             min_items = 2)
#' # The same as a prorated sum (3 items, 3-15)
#' score_scale(answers, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5),
#'             min_items = 2, fun = "sum")
score_scale <- function(data, items, reverse = NULL, range = NULL,
                        min_items = NULL, fun = c("mean", "sum")) {
  check_required("data", "items")
  if (!is.data.frame(data)) arg_error("data", "a data frame", data)
  check_items_arg(items, "items")
  range <- check_range(range)
  if (!is.null(reverse)) {
    if (!is.character(reverse) || anyNA(reverse)) {
      arg_error("reverse", "NULL or a character vector of item names",
                reverse)
    }
    unknown <- setdiff(reverse, items)
    if (length(unknown) > 0L) {
      pa_abort(
        sprintf("`reverse` must name items listed in `items`; %s %s not.",
                format_names(unknown), plural(length(unknown), "is", "are")),
        class = "panelattrition_arg_error", argument = "reverse"
      )
    }
    if (is.null(range)) {
      pa_abort(
        paste("`reverse` needs `range = c(low, high)`: an item is reversed",
              "as low + high - x."),
        class = "panelattrition_arg_error", argument = "range"
      )
    }
  }
  min_items <- check_min_items(min_items, length(items))
  fun <- match_choice(fun, c("mean", "sum"), "fun")

  x <- item_matrix(data, items, range)
  score_matrix(x, match(reverse, items), range, min_items, fun)
}

# `x` has been validated by item_matrix(); `reverse` holds column indices.
score_matrix <- function(x, reverse, range, min_items, fun) {
  if (length(reverse) > 0L) {
    x[, reverse] <- range[1L] + range[2L] - x[, reverse]
  }
  answered <- as.integer(rowSums(!is.na(x)))
  score <- rowMeans(x, na.rm = TRUE)
  score[answered < min_items] <- NA_real_
  if (fun == "sum") score <- score * ncol(x)
  attr(score, "n_items") <- answered
  score
}

# Items -------------------------------------------------------------------

check_items_arg <- function(items, arg) {
  if (!is.character(items) || length(items) == 0L || anyNA(items) ||
      any(items == "")) {
    arg_error(arg, "a character vector of column names", items)
  }
  if (anyDuplicated(items)) {
    pa_abort(
      sprintf("`%s` must not repeat an item; %s appears more than once.",
              arg, format_names(unique(items[duplicated(items)]))),
      class = "panelattrition_arg_error", argument = arg
    )
  }
  invisible(items)
}

check_range <- function(range) {
  if (is.null(range)) return(NULL)
  if (!is.numeric(range) || length(range) != 2L || anyNA(range) ||
      any(!is.finite(range)) || any(range != round(range)) ||
      range[1L] >= range[2L]) {
    arg_error("range", "NULL or two whole numbers c(low, high) with low < high",
              range)
  }
  as.double(range)
}

check_min_items <- function(min_items, k) {
  if (is.null(min_items)) return(k)
  if (!is.numeric(min_items) || length(min_items) != 1L ||
      is.na(min_items) || min_items != round(min_items) ||
      min_items < 1 || min_items > k) {
    arg_error("min_items", sprintf("a whole number from 1 to %d", k),
              min_items)
  }
  as.integer(min_items)
}

# The items of `data` as a double matrix (rows = rows of `data`), after
# checking that they exist, are numeric and, when `range` is given, hold only
# whole numbers within it. `hint` is appended to the missing-column message.
item_matrix <- function(data, items, range = NULL, hint = NULL) {
  absent <- setdiff(items, names(data))
  if (length(absent) > 0L) {
    pa_abort(
      paste0(
        sprintf("%s %s not in `data`: %s.",
                upper_first(plural(length(absent), "item column")),
                plural(length(absent), "is", "are"),
                format_names(absent, n = 20L)),
        if (!is.null(hint)) paste0(" ", hint)
      ),
      class = "panelattrition_scale_error", items = absent
    )
  }
  columns <- lapply(items, function(item) data[[item]])
  usable <- vapply(columns, function(col) {
    (is.numeric(col) && !is.factor(col)) ||
      (is.logical(col) && all(is.na(col)))
  }, logical(1))
  if (!all(usable)) {
    lines <- sprintf("* `%s` is %s.", items[!usable],
                     vapply(columns[!usable], describe_type, character(1)))
    pa_abort(
      paste0("Items must be numeric (integer or double):\n",
             paste(lines, collapse = "\n")),
      class = "panelattrition_scale_error", items = items[!usable]
    )
  }
  x <- matrix(NA_real_, nrow = nrow(data), ncol = length(items),
              dimnames = list(NULL, items))
  for (j in seq_along(items)) x[, j] <- as.double(columns[[j]])

  answered <- !is.na(x)
  bad <- if (is.null(range)) {
    answered & is.infinite(x)
  } else {
    answered & (x < range[1L] | x > range[2L] | x != round(x))
  }
  if (any(bad)) stop_bad_values(x, bad, range)
  x
}

describe_type <- function(x) {
  if (is.factor(x)) return("a factor")
  if (is.logical(x)) return("logical (TRUE/FALSE values)")
  sprintf("of type %s", class(x)[1L])
}

stop_bad_values <- function(x, bad, range) {
  cols <- which(colSums(bad) > 0L)
  rows <- lapply(cols, function(j) which(bad[, j]))
  names(rows) <- colnames(x)[cols]
  lines <- vapply(seq_along(cols), function(i) {
    r <- rows[[i]]
    sprintf("* `%s`, %d %s (%s): %s", names(rows)[i], length(r),
            plural(length(r), "row"), format_rows(r, n = 5L),
            format_values(x[r, cols[i]], n = 5L))
  }, character(1))
  what <- if (is.null(range)) {
    "Items must hold finite numbers"
  } else {
    sprintf("Items must hold whole numbers from %s to %s (`range`)",
            format(range[1L]), format(range[2L]))
  }
  pa_abort(
    paste0(what, "; found other values:\n", paste(lines, collapse = "\n")),
    class = "panelattrition_scale_error",
    items = names(rows), rows = rows
  )
}

# Reliability -------------------------------------------------------------

#' Internal consistency of a scale: alpha, omega and item statistics
#'
#' Computes the usual reliability summary of a set of items, on the rows
#' that answered all of them (complete cases; the number of rows dropped is
#' reported). Items worded in the opposite direction must be reversed first,
#' for instance with [score_scale()] on that item alone.
#'
#' * **Cronbach's alpha** from the item covariance matrix \eqn{C} of the
#'   \eqn{k} items: \eqn{\alpha = k/(k-1) (1 - tr(C) / \sum C)}.
#'   The standardized alpha is the same formula applied to the correlation
#'   matrix, i.e. the alpha of the standardized items.
#' * **Confidence interval for alpha** after Feldt (1965): with \eqn{n}
#'   complete cases, \eqn{(1 - \alpha) / (1 - \hat\alpha)} follows an \eqn{F}
#'   distribution with \eqn{n - 1} and \eqn{(n - 1)(k - 1)} degrees of
#'   freedom, so the interval is
#'   \eqn{1 - (1 - \hat\alpha) F_{1-\gamma/2}} to
#'   \eqn{1 - (1 - \hat\alpha) F_{\gamma/2}}, with \eqn{\gamma} one minus the
#'   confidence level. It assumes the items are essentially tau-equivalent
#'   with normal errors.
#' * **McDonald's omega (total)** from a one-factor model fitted by maximum
#'   likelihood ([stats::factanal()]) to the item correlation matrix:
#'   \eqn{\omega_t = (\sum\lambda)^2 / ((\sum\lambda)^2 + \sum\psi)}, with
#'   \eqn{\lambda} the standardized loadings and \eqn{\psi = 1 - \lambda^2}
#'   the uniquenesses. It needs at least 3 items (with 2, a one-factor model
#'   is not identified) and is `NA` otherwise, or when the model cannot be
#'   fitted; `notes` then says why. Unlike alpha, omega does not assume the
#'   items load equally.
#' * **Item statistics**: mean and standard deviation; the item-rest
#'   correlation (the correlation of the item with the sum of the other
#'   items, the `r.drop` of the psych package); and alpha if the item were
#'   dropped (raw; `NA` for a two-item scale).
#'
#' @param data A data frame with one column per item.
#' @param items A character vector naming at least two numeric item columns.
#' @param conf_level The confidence level of the interval for alpha, a
#'   number between 0 and 1.
#'
#' @return An object of class `pa_reliability`, a list with `alpha` (raw
#'   Cronbach's alpha), `std_alpha` (standardized alpha), `alpha_ci` (named
#'   vector `lower`, `upper`), `conf_level`, `omega` (omega total),
#'   `loadings` (standardized one-factor loadings, or `NULL`), `items` (a
#'   data frame with columns `item`, `mean`, `sd`, `item_rest_cor`,
#'   `alpha_if_dropped`), `n` (complete cases used), `n_dropped` (rows
#'   dropped because an item was missing) and `notes` (a character vector,
#'   possibly empty, of warnings about the results). Printing it shows a
#'   summary and returns it invisibly.
#'
#' @references
#' Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
#' tests. *Psychometrika*, 16, 297-334.
#'
#' Feldt, L. S. (1965). The approximate sampling distribution of
#' Kuder-Richardson reliability coefficient twenty. *Psychometrika*, 30,
#' 357-370.
#'
#' Feldt, L. S., Woodruff, D. J. and Salih, F. A. (1987). Statistical
#' inference for coefficient alpha. *Applied Psychological Measurement*, 11,
#' 93-103.
#'
#' McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Lawrence
#' Erlbaum.
#'
#' Revelle, W. and Zinbarg, R. E. (2009). Coefficients alpha, beta, omega,
#' and the glb: Comments on Sijtsma. *Psychometrika*, 74, 145-154.
#'
#' @seealso [score_scale()] to reverse items and score the scale.
#' @export
#' @examples
#' set.seed(42)
#' trait <- rnorm(200)
#' rate <- function(loading) {
#'   pmin(5, pmax(1, round(3 + loading * trait + rnorm(200))))
#' }
#' answers <- data.frame(q1 = rate(0.9), q2 = rate(0.8), q3 = rate(0.7),
#'                       q4 = rate(0.6), q5 = rate(-0.8))
#' answers$q1[3] <- NA
#' # q5 is worded the other way round: reverse it first
#' answers$q5 <- as.vector(score_scale(answers, "q5", reverse = "q5",
#'                                     range = c(1, 5)))
#' rel <- scale_reliability(answers, paste0("q", 1:5))
#' rel
#' rel$items
scale_reliability <- function(data, items, conf_level = 0.95) {
  check_required("data", "items")
  if (!is.data.frame(data)) arg_error("data", "a data frame", data)
  check_items_arg(items, "items")
  if (length(items) < 2L) {
    pa_abort(
      sprintf("`items` must name at least 2 items, not 1 (%s).",
              format_names(items)),
      class = "panelattrition_arg_error", argument = "items"
    )
  }
  if (!is.numeric(conf_level) || length(conf_level) != 1L ||
      is.na(conf_level) || conf_level <= 0 || conf_level >= 1) {
    arg_error("conf_level", "a number between 0 and 1", conf_level)
  }
  x <- item_matrix(data, items)
  complete <- stats::complete.cases(x)
  x <- x[complete, , drop = FALSE]
  n <- nrow(x)
  k <- length(items)
  if (n < 3L) {
    pa_abort(
      sprintf(paste("Reliability needs at least 3 rows that answered every",
                    "item; %d of %d %s did."),
              n, length(complete), plural(length(complete), "row")),
      class = "panelattrition_scale_error", items = items
    )
  }
  C <- stats::cov(x)
  flat <- items[diag(C) <= 0]
  if (length(flat) > 0L) {
    pa_abort(
      sprintf(paste("%s %s the same value in all %d complete cases, so",
                    "%s no correlation with the others: %s."),
              upper_first(plural(length(flat), "item has", "items have")),
              plural(length(flat), "has", "have"), n,
              plural(length(flat), "it has", "they have"),
              format_names(flat)),
      class = "panelattrition_scale_error", items = flat
    )
  }
  R <- stats::cov2cor(C)

  alpha <- alpha_from_cov(C)
  gamma <- 1 - conf_level
  df1 <- n - 1
  df2 <- (n - 1) * (k - 1)
  alpha_ci <- c(
    lower = 1 - (1 - alpha) * stats::qf(1 - gamma / 2, df1, df2),
    upper = 1 - (1 - alpha) * stats::qf(gamma / 2, df1, df2)
  )

  rest_cor <- vapply(seq_len(k), function(i) {
    (sum(C[, i]) - C[i, i]) / sqrt(C[i, i] * sum(C[-i, -i]))
  }, numeric(1))
  alpha_drop <- if (k > 2L) {
    vapply(seq_len(k), function(i) alpha_from_cov(C[-i, -i]), numeric(1))
  } else {
    rep(NA_real_, k)
  }
  item_table <- data.frame(
    item = items,
    mean = colMeans(x),
    sd = sqrt(diag(C)),
    item_rest_cor = rest_cor,
    alpha_if_dropped = alpha_drop,
    row.names = NULL
  )

  notes <- character()
  negative <- items[rest_cor < 0]
  if (length(negative) > 0L) {
    notes <- c(notes, sprintf(
      paste("%s correlate%s negatively with the rest of the scale; reverse",
            "%s with score_scale() if %s worded the other way round."),
      format_names(negative), if (length(negative) == 1L) "s" else "",
      plural(length(negative), "it", "them"),
      plural(length(negative), "it is", "they are")
    ))
  }
  fit <- omega_one_factor(R, n)
  notes <- c(notes, fit$notes)

  structure(
    list(
      alpha = alpha,
      std_alpha = alpha_from_cov(R),
      alpha_ci = alpha_ci,
      conf_level = conf_level,
      omega = fit$omega,
      loadings = fit$loadings,
      items = item_table,
      n = n,
      n_dropped = length(complete) - n,
      notes = notes
    ),
    class = "pa_reliability"
  )
}

alpha_from_cov <- function(C) {
  k <- ncol(C)
  k / (k - 1) * (1 - sum(diag(C)) / sum(C))
}

# Omega total from a maximum-likelihood one-factor fit to the correlations.
# Fit failures become NA with a note rather than an error, since alpha and
# the item table are still worth having.
omega_one_factor <- function(R, n) {
  k <- ncol(R)
  if (k < 3L) {
    return(list(omega = NA_real_, loadings = NULL, notes = sprintf(
      paste("Omega needs at least 3 items (a one-factor model is not",
            "identified with %d)."),
      k
    )))
  }
  warned <- character()
  fit <- tryCatch(
    withCallingHandlers(
      stats::factanal(covmat = R, factors = 1L, n.obs = n),
      warning = function(w) {
        warned <<- c(warned, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    ),
    error = function(e) e
  )
  if (inherits(fit, "error")) {
    return(list(omega = NA_real_, loadings = NULL, notes = paste0(
      "Omega could not be computed: the one-factor model failed (",
      conditionMessage(fit), ")."
    )))
  }
  loadings <- fit$loadings[, 1L]
  # A factor's sign is arbitrary; make the scale load positively overall.
  if (sum(loadings) < 0) loadings <- -loadings
  uniq <- fit$uniquenesses
  omega <- sum(loadings)^2 / (sum(loadings)^2 + sum(uniq))
  notes <- character()
  if (length(warned) > 0L) {
    notes <- c(notes, paste0("The one-factor fit warned: ",
                             paste(unique(warned), collapse = "; "), "."))
  }
  # factanal() stops uniquenesses at its lower bound (0.005): an item that
  # reaches it is a Heywood case and omega is then too high.
  heywood <- names(uniq)[uniq <= 0.0051]
  if (length(heywood) > 0L) {
    notes <- c(notes, sprintf(
      paste("The one-factor fit has a near-zero uniqueness for %s (a Heywood",
            "case); omega may be overstated."),
      format_names(heywood)
    ))
  }
  negative <- names(loadings)[loadings < 0]
  if (length(negative) > 0L) {
    notes <- c(notes, sprintf(
      "%s %s negatively on the common factor, which lowers omega.",
      format_names(negative), plural(length(negative), "loads", "load")
    ))
  }
  list(omega = omega, loadings = loadings, notes = notes)
}

#' @rdname scale_reliability
#' @param x A `pa_reliability` object.
#' @param digits The number of decimal places shown.
#' @param ... Ignored.
#' @export
print.pa_reliability <- function(x, digits = 3L, ...) {
  f <- function(v) ifelse(is.na(v), "NA", formatC(v, format = "f",
                                                   digits = digits))
  k <- nrow(x$items)
  cat(sprintf("Reliability of %d items, %d complete %s", k, x$n,
              plural(x$n, "case")))
  if (x$n_dropped > 0L) {
    cat(sprintf(" (%d %s with a missing item dropped)", x$n_dropped,
                plural(x$n_dropped, "row")))
  }
  cat("\n")
  cat(sprintf(
    "Cronbach's alpha %s (%g%% CI %s to %s, Feldt); standardized %s\n",
    f(x$alpha), 100 * x$conf_level, f(x$alpha_ci[["lower"]]),
    f(x$alpha_ci[["upper"]]), f(x$std_alpha)
  ))
  cat(sprintf("McDonald's omega (total, one-factor ML) %s\n", f(x$omega)))
  for (note in x$notes) cat("Note: ", note, "\n", sep = "")
  cat("\n")
  shown <- x$items
  for (col in c("mean", "sd", "item_rest_cor", "alpha_if_dropped")) {
    shown[[col]] <- f(shown[[col]])
  }
  print(shown, row.names = FALSE, right = TRUE)
  invisible(x)
}

# Instruments -------------------------------------------------------------

# The scoring rules, one row per instrument and (sub)scale. Item numbers are
# positions within the instrument (column <prefix><number>). No item wording
# is kept: names, ranges and rules are all the scoring needs.
instrument_rules <- function() {
  mhc_ref <- paste(
    "Keyes, C. L. M. (2002). The mental health continuum: From languishing",
    "to flourishing in life. Journal of Health and Social Behavior, 43,",
    "207-222. Keyes, C. L. M. (2009). Brief description of the Mental",
    "Health Continuum Short Form (MHC-SF). Emory University."
  )
  gse_ref <- paste(
    "Schwarzer, R. and Jerusalem, M. (1995). Generalized Self-Efficacy",
    "scale. In J. Weinman, S. Wright and M. Johnston (eds), Measures in",
    "Health Psychology: A User's Portfolio. Causal and Control Beliefs",
    "(pp. 35-37). NFER-NELSON."
  )
  gas_ref <- paste(
    "Wrosch, C., Scheier, M. F., Miller, G. E., Schulz, R. and Carver, C. S.",
    "(2003). Adaptive self-regulation of unattainable goals: Goal",
    "disengagement, goal reengagement, and subjective well-being.",
    "Personality and Social Psychology Bulletin, 29, 1494-1508."
  )
  rule <- function(instrument, scale, items, low, high, min_items, fun,
                   reference) {
    list(instrument = instrument, scale = scale, items = items, low = low,
         high = high, min_items = min_items, fun = fun,
         reference = reference)
  }
  list(
    rule("mhc_sf", "total", 1:14, 0, 5, 14L, "sum", mhc_ref),
    rule("mhc_sf", "emotional", 1:3, 0, 5, 3L, "sum", mhc_ref),
    rule("mhc_sf", "social", 4:8, 0, 5, 5L, "sum", mhc_ref),
    rule("mhc_sf", "psychological", 9:14, 0, 5, 6L, "sum", mhc_ref),
    rule("gse", "total", 1:10, 1, 4, 7L, "mean", gse_ref),
    rule("goal_reengagement", "total", 1:6, 1, 5, 5L, "mean", gas_ref)
  )
}

#' Scoring rules of the instruments the package knows
#'
#' Lists, for each instrument and (sub)scale, which items make it up, the
#' response range, how many items must be answered and how the score is
#' formed. [score_instrument()] applies these rules. No item wording is
#' included; use the instruments under their authors' terms.
#'
#' The instruments are those assumed for the INCREASE VS evaluation:
#'
#' * `"mhc_sf"`: Mental Health Continuum Short Form (Keyes), 14 items rated
#'   0 (never) to 5 (every day) for the past month; emotional wellbeing
#'   items 1-3, social 4-8, psychological 9-14. Scored as sums, as Keyes
#'   does (total 0-70). Keyes gives no rule for skipped items, and the
#'   categorical diagnosis ([mhc_category()]) needs all 14; every score
#'   requires all of its items, so that continuous scores and categories
#'   describe the same respondents, and because the subscales are so short
#'   (3 to 6 items) that one skipped item is a large share of a subscale.
#' * `"gse"`: General Self-Efficacy Scale (Schwarzer and Jerusalem), 10
#'   items rated 1-4, scored as the mean item score. The authors allow at
#'   most 3 missing items, hence `min_items = 7`. (The sum, 10-40, is the
#'   mean times 10.)
#' * `"goal_reengagement"`: the six goal re-engagement items of the Goal
#'   Adjustment Scale (Wrosch et al. 2003), rated 1-5, scored as the mean.
#'   The authors give no rule for skipped items; the GSE authors' threshold
#'   of at least 70% answered is applied, rounded up: 5 of 6.
#'
#' None of these items is reverse-keyed.
#'
#' @return A data frame with one row per instrument and scale and columns
#'   `instrument`, `scale`, `items` (the item numbers, comma-separated),
#'   `n_items`, `range_low` and `range_high` (the response range of each
#'   item), `reverse` (comma-separated numbers of reverse-keyed items, `""`
#'   for none), `min_items` (answered items needed for a score), `fun`
#'   (`"sum"`, a prorated sum, or `"mean"`; see [score_scale()]),
#'   `score_low` and `score_high` (the range of the score) and `reference`.
#'
#' @references
#' Keyes, C. L. M. (2002). The mental health continuum: From languishing to
#' flourishing in life. *Journal of Health and Social Behavior*, 43,
#' 207-222.
#'
#' Keyes, C. L. M. (2009). *Brief Description of the Mental Health Continuum
#' Short Form (MHC-SF)*. Emory University, Atlanta.
#'
#' Schwarzer, R. and Jerusalem, M. (1995). Generalized Self-Efficacy scale.
#' In J. Weinman, S. Wright and M. Johnston (eds), *Measures in Health
#' Psychology: A User's Portfolio. Causal and Control Beliefs* (pp. 35-37).
#' NFER-NELSON, Windsor.
#'
#' Wrosch, C., Scheier, M. F., Miller, G. E., Schulz, R. and Carver, C. S.
#' (2003). Adaptive self-regulation of unattainable goals: Goal
#' disengagement, goal reengagement, and subjective well-being.
#' *Personality and Social Psychology Bulletin*, 29, 1494-1508.
#'
#' @export
#' @examples
#' rules <- instruments()
#' rules[, c("instrument", "scale", "n_items", "range_low", "range_high",
#'           "min_items", "fun")]
instruments <- function() {
  rules <- instrument_rules()
  pick <- function(name, type) vapply(rules, `[[`, type, name)
  k <- vapply(rules, function(r) length(r$items), integer(1))
  low <- pick("low", numeric(1))
  high <- pick("high", numeric(1))
  fun <- pick("fun", character(1))
  data.frame(
    instrument = pick("instrument", character(1)),
    scale = pick("scale", character(1)),
    items = vapply(rules, function(r) paste(r$items, collapse = ", "),
                   character(1)),
    n_items = k,
    range_low = low,
    range_high = high,
    reverse = "",
    min_items = pick("min_items", integer(1)),
    fun = fun,
    score_low = ifelse(fun == "sum", k * low, low),
    score_high = ifelse(fun == "sum", k * high, high),
    reference = pick("reference", character(1)),
    stringsAsFactors = FALSE
  )
}

#' Score a known instrument
#'
#' Scores every scale (or the chosen scales) of an instrument listed by
#' [instruments()], with the ranges, minimum numbers of answered items and
#' scoring rules given there, and adds the scores to `data`. Items are the
#' columns `<prefix>1`, `<prefix>2`, ..., numbered as in the instrument.
#' Rows are scored independently, so long panel data (one row per person
#' and wave) can be scored as it is and the new columns used as outcomes of
#' [panel_data()] and the estimators.
#'
#' All items are checked before anything is scored: a missing item column,
#' a non-numeric item, or an answer that is not a whole number within the
#' instrument's range is an error of class `panelattrition_scale_error`
#' naming the items (and rows) concerned.
#'
#' @param data A data frame holding the item columns.
#' @param instrument The instrument, one of `instruments()$instrument`:
#'   `"mhc_sf"`, `"gse"` or `"goal_reengagement"`.
#' @param prefix The common start of the item column names, e.g. `"mhc"` for
#'   columns `mhc1` to `mhc14`.
#' @param scales `NULL` (the default) for every scale of the instrument, or
#'   a character vector of scale names from `instruments()$scale`.
#'
#' @return `data` with one numeric column `<prefix>_<scale>` added per scale
#'   (e.g. `mhc_total`, `mhc_emotional`); a column of that name already in
#'   `data` is replaced. Scores are `NA` where fewer than the required items
#'   were answered.
#'
#' @references
#' See [instruments()] for the instrument papers.
#'
#' @seealso [score_scale()] for any other scale, [mhc_category()] for
#'   Keyes' categorical diagnosis.
#' @export
#' @examples
#' answers <- data.frame(
#'   id = c("A", "A", "B"),
#'   wave = c("T1", "T2", "T1"),
#'   gse1 = c(3, 4, 2), gse2 = c(3, 4, NA), gse3 = c(2, 3, 2),
#'   gse4 = c(3, 4, 1), gse5 = c(2, 4, NA), gse6 = c(3, 3, 2),
#'   gse7 = c(3, 4, 2), gse8 = c(4, 4, NA), gse9 = c(3, 3, 2),
#'   gse10 = c(2, 4, NA)
#' )
#' # B skipped 4 of 10 items at T1, more than the 3 the authors allow
#' score_instrument(answers, "gse", prefix = "gse")[, c("id", "wave",
#'                                                      "gse_total")]
score_instrument <- function(data, instrument, prefix, scales = NULL) {
  check_required("data", "instrument")
  if (!is.data.frame(data)) arg_error("data", "a data frame", data)
  if (missing(prefix)) {
    pa_abort("`prefix` is missing: give the start of the item columns' names, e.g. \"mhc\" for mhc1, mhc2, ...",
             class = "panelattrition_arg_error", argument = "prefix")
  }
  rules <- instrument_rules()
  known <- unique(vapply(rules, `[[`, character(1), "instrument"))
  instrument <- match_choice(instrument, known, "instrument")
  check_string(prefix, "prefix")
  if (prefix == "") arg_error("prefix", "a non-empty string", prefix)
  rules <- Filter(function(r) r$instrument == instrument, rules)
  available <- vapply(rules, `[[`, character(1), "scale")
  if (!is.null(scales)) {
    if (!is.character(scales) || length(scales) == 0L || anyNA(scales)) {
      arg_error("scales", "NULL or a character vector of scale names",
                scales)
    }
    unknown <- setdiff(scales, available)
    if (length(unknown) > 0L) {
      pa_abort(
        sprintf("`scales` must be scales of \"%s\" (%s); %s %s not.",
                instrument, format_values(available, n = 10L),
                format_values(unknown), plural(length(unknown), "is", "are")),
        class = "panelattrition_arg_error", argument = "scales"
      )
    }
    rules <- rules[match(unique(scales), available)]
  }

  numbers <- sort(unique(unlist(lapply(rules, `[[`, "items"))))
  columns <- paste0(prefix, numbers)
  low <- rules[[1L]]$low
  high <- rules[[1L]]$high
  x <- item_matrix(data, columns, range = c(low, high), hint = sprintf(
    paste("Items of \"%s\" are read from columns `%s%d` to `%s%d`",
          "(`prefix` = \"%s\")."),
    instrument, prefix, min(numbers), prefix, max(numbers), prefix
  ))
  for (r in rules) {
    cols <- match(paste0(prefix, r$items), columns)
    score <- score_matrix(x[, cols, drop = FALSE], integer(), c(r$low, r$high),
                          r$min_items, r$fun)
    data[[paste0(prefix, "_", r$scale)]] <- as.vector(score)
  }
  data
}

#' Keyes' categories of mental health from the MHC-SF
#'
#' Classifies each row as flourishing, moderately mentally healthy or
#' languishing from the 14 items of the Mental Health Continuum Short Form
#' (rated 0 = never to 5 = every day), following Keyes:
#'
#' * **flourishing**: at least 1 of the 3 emotional wellbeing items
#'   (1-3) answered 4 or 5 ("almost every day" or "every day"), and at least
#'   6 of the 11 social and psychological wellbeing items (4-14) answered 4
#'   or 5;
#' * **languishing**: the same counts answered 0 or 1 ("never" or "once or
#'   twice");
#' * **moderate**: everyone else.
#'
#' The two conditions cannot both hold (6 + 6 > 11). A row with any item
#' missing is `NA`: a skipped item could change the category.
#'
#' @param data A data frame with the items in columns `<prefix>1` to
#'   `<prefix>14`, whole numbers from 0 to 5 (anything else is an error of
#'   class `panelattrition_scale_error`).
#' @param prefix The common start of the item column names.
#'
#' @return A factor with one value per row of `data` and levels
#'   `"languishing"`, `"moderate"`, `"flourishing"`.
#'
#' @references
#' Keyes, C. L. M. (2002). The mental health continuum: From languishing to
#' flourishing in life. *Journal of Health and Social Behavior*, 43,
#' 207-222.
#'
#' Keyes, C. L. M. (2009). *Brief Description of the Mental Health Continuum
#' Short Form (MHC-SF)*. Emory University, Atlanta.
#'
#' @seealso [score_instrument()] for the MHC-SF sum scores.
#' @export
#' @examples
#' items <- rbind(
#'   c(5, 2, 2, 4, 4, 4, 4, 5, 5, 1, 1, 1, 1, 1),  # flourishing
#'   c(0, 3, 3, 1, 1, 1, 0, 0, 0, 4, 4, 4, 4, 4),  # languishing
#'   c(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3)   # moderate
#' )
#' answers <- as.data.frame(items)
#' names(answers) <- paste0("mhc", 1:14)
#' mhc_category(answers)
mhc_category <- function(data, prefix = "mhc") {
  check_required("data")
  if (!is.data.frame(data)) arg_error("data", "a data frame", data)
  check_string(prefix, "prefix")
  x <- item_matrix(data, paste0(prefix, 1:14), range = c(0, 5), hint = sprintf(
    "MHC-SF items are read from columns `%s1` to `%s14` (`prefix` = \"%s\").",
    prefix, prefix, prefix
  ))
  emotional <- x[, 1:3, drop = FALSE]
  functioning <- x[, 4:14, drop = FALSE]
  flourishing <- rowSums(emotional >= 4) >= 1 & rowSums(functioning >= 4) >= 6
  languishing <- rowSums(emotional <= 1) >= 1 & rowSums(functioning <= 1) >= 6
  levels <- c("languishing", "moderate", "flourishing")
  category <- ifelse(flourishing, levels[3L],
                     ifelse(languishing, levels[1L], levels[2L]))
  category[!stats::complete.cases(x)] <- NA_character_
  factor(category, levels = levels)
}
