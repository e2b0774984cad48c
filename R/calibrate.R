# Calibration of weights (Deville & Sarndal 1992): the weights w = d * g,
# g = F(x'lambda), that reproduce known totals of the columns of `x`
# exactly. Raking with equal `d` is entropy balancing (Hainmueller 2012).
# With F(u) = 1 + exp(u) (Kott 2006) the calibration is the estimating
# equation of a logistic response model, 1 / g = P(respond | x).
# The solver is in src/calibrate.c; this wrapper checks and orders the
# arguments and turns the kernel's failures into classed conditions.

#' Calibrate weights to known totals
#'
#' @param x Numeric matrix of margins, one column per total, such as
#'   `model.matrix(formula, data)`.
#' @param d Positive design (base) weights, one per row of `x`.
#' @param totals Target totals, named after the columns of `x` (in any
#'   order) or unnamed in column order, as `survey::calibrate(population =)`.
#' @param calfun Calibration function: `"raking"` (exponential), `"linear"`,
#'   `"logit"` (bounded) or `"kott"` (`F(u) = 1 + exp(u)`, a logistic
#'   response model: `1 / g` is the fitted probability of responding with
#'   coefficients `-lambda`; Kott 2006).
#' @param bounds `NULL`, or `c(lower, upper)` with `lower < 1 < upper`,
#'   bounds on `g = w / d`; required (and finite) for `"logit"`, not
#'   allowed for `"kott"`.
#' @param control List with `maxit` and `epsilon`; convergence when every
#'   `|sum(w * x[, j]) - totals[j]| / max(1, |totals[j]|) < epsilon`.
#' @param stage Passed to the condition raised on failure, to say which
#'   stage of a weighting scheme failed.
#' @return A list: `weights`, `g`, `lambda` (named), `iterations`,
#'   `converged`, `jacobian` (`sum_i d_i F'(x_i'lambda) x_i x_i'`),
#'   `calfun`, `bounds`.
#' @references Deville, J.-C. and Sarndal, C.-E. (1992). Calibration
#'   estimators in survey sampling. *Journal of the American Statistical
#'   Association* 87, 376-382.
#'
#'   Hainmueller, J. (2012). Entropy balancing for causal effects.
#'   *Political Analysis* 20, 25-46.
#'
#'   Kott, P. S. (2006). Using calibration weighting to adjust for
#'   nonresponse and coverage errors. *Survey Methodology* 32, 133-142.
#' @noRd
calibrate_weights <- function(x, d, totals,
                              calfun = "raking", bounds = NULL,
                              control = list(maxit = 100, epsilon = 1e-10),
                              stage = NULL) {
  calfun <- match_cal_fun(calfun)
  x <- check_cal_matrix(x)
  d <- check_cal_weights(d, nrow(x))
  totals <- match_cal_totals(totals, x)
  bounds <- check_cal_bounds(bounds, calfun)
  control <- check_control(control)

  code <- cal_fun_code(calfun)
  res <- .Call(C_calibrate, x, d, totals, code, bounds,
               c(control$maxit, control$epsilon))
  if (res$status != "ok") abort_calibration(res, colnames(x), stage, calfun)

  margins <- colnames(x)
  lambda <- res$lambda
  names(lambda) <- margins
  jacobian <- res$jacobian
  dimnames(jacobian) <- list(margins, margins)
  list(
    weights = res$weights,
    g = res$g,
    lambda = lambda,
    iterations = res$iterations,
    converged = res$converged,
    jacobian = jacobian,
    calfun = calfun,
    bounds = bounds
  )
}

# The calibration functions are the entries of `calibration_functions`
# (stages.R), each with its code in the C kernel.
match_cal_fun <- function(calfun) {
  choices <- names(calibration_functions)
  if (identical(calfun, choices)) return(choices[1L])
  if (!is.character(calfun) || length(calfun) != 1L || is.na(calfun) ||
      !calfun %in% choices) {
    arg_error("calfun",
              paste("one of", format_choices(choices, "or")),
              calfun)
  }
  calfun
}

check_cal_matrix <- function(x) {
  if (!is.matrix(x) || !is.numeric(x) || nrow(x) < 1L || ncol(x) < 1L) {
    arg_error("x", "a numeric matrix with at least one row and column", x)
  }
  if (anyNA(x) || any(!is.finite(x))) {
    bad <- which(!is.finite(x), arr.ind = TRUE)[1L, ]
    col <- if (is.null(colnames(x))) bad[[2L]] else
      sprintf("`%s`", colnames(x)[bad[[2L]]])
    pa_abort(
      sprintf("`x` must be finite, but row %d of column %s is %s.",
              bad[[1L]], col, format(x[bad[[1L]], bad[[2L]]])),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
  if (!is.double(x)) storage.mode(x) <- "double"
  x
}

check_cal_weights <- function(d, n) {
  if (!is.numeric(d) || length(d) != n) {
    arg_error("d", sprintf("a numeric vector of length %d (one per row of `x`)", n), d)
  }
  bad <- which(!is.finite(d) | !(d > 0))
  if (length(bad)) {
    pa_abort(
      sprintf(paste0("`d` must be positive and finite, but %d weight%s %s ",
                     "not (the first is element %d, %s)."),
              length(bad), if (length(bad) > 1L) "s" else "",
              if (length(bad) > 1L) "are" else "is", bad[1L],
              format(d[bad[1L]])),
      class = "panelattrition_arg_error", argument = "d"
    )
  }
  as.double(d)
}

# Totals named after the margins are put in column order, as
# survey::calibrate() does, but a missing or unknown name is an error
# rather than a warning.
match_cal_totals <- function(totals, x) {
  p <- ncol(x)
  if (!is.numeric(totals) || length(totals) < 1L) {
    arg_error("totals", "a numeric vector of totals", totals)
  }
  nms <- names(totals)
  if (!is.null(nms)) {
    margins <- colnames(x)
    if (is.null(margins)) {
      pa_abort("`totals` is named but `x` has no column names to match.",
               class = "panelattrition_arg_error", argument = "totals")
    }
    missing <- setdiff(margins, nms)
    extra <- setdiff(nms, margins)
    if (length(missing) || length(extra) || anyDuplicated(nms)) {
      parts <- c(
        if (length(missing)) {
          sprintf("no total for %s", paste0("`", missing, "`", collapse = ", "))
        },
        if (length(extra)) {
          sprintf("%s %s not a column of `x`",
                  paste0("`", extra, "`", collapse = ", "),
                  if (length(extra) > 1L) "are" else "is")
        },
        if (anyDuplicated(nms)) {
          sprintf("`%s` is given twice", nms[anyDuplicated(nms)])
        }
      )
      pa_abort(
        sprintf(paste0("`totals` must have one total per column of `x`: %s. ",
                       "The columns are %s."),
                paste(parts, collapse = "; "),
                paste0("`", margins, "`", collapse = ", ")),
        class = "panelattrition_arg_error", argument = "totals",
        margin = c(missing, extra)
      )
    }
    totals <- totals[margins]
  } else if (length(totals) != p) {
    arg_error("totals",
              sprintf("a vector of %d totals, one per column of `x`", p),
              totals)
  }
  if (any(!is.finite(totals))) {
    arg_error("totals", "finite", totals[!is.finite(totals)][1L])
  }
  as.double(unname(totals))
}

check_cal_bounds <- function(bounds, calfun) {
  fun <- calfun_entry(calfun)
  fun$check_bounds(bounds)
  if (is.null(bounds)) return(c(-Inf, Inf))
  if (!is.numeric(bounds) || length(bounds) != 2L || anyNA(bounds) ||
      !(bounds[1L] < 1 && bounds[2L] > 1)) {
    arg_error("bounds", "NULL or c(lower, upper) with lower < 1 < upper",
              if (is.numeric(bounds) && length(bounds) == 2L) {
                sprintf("c(%s)", paste(format(bounds), collapse = ", "))
              } else bounds)
  }
  if (isTRUE(fun$finite_bounds) && any(!is.finite(bounds))) {
    arg_error("bounds", sprintf("finite for `calfun = \"%s\"`", calfun),
              sprintf("c(%s)", paste(format(bounds), collapse = ", ")))
  }
  as.double(unname(bounds))
}

# The kernel names margins as "column <j>"; they become the user's names
# here, and advice on what to do is added per reason.
abort_calibration <- function(res, margins, stage, calfun = NULL) {
  cols <- res$columns
  msg <- res$message
  names_of <- if (is.null(margins)) paste("column", cols) else margins[cols]
  if (!is.null(margins)) {
    m <- gregexpr("column [0-9]+", msg)
    hits <- regmatches(msg, m)[[1L]]
    if (length(hits)) {
      idx <- as.integer(sub("column ", "", hits, fixed = TRUE))
      regmatches(msg, m) <- list(sprintf("`%s`", margins[idx]))
    }
  }
  if (!is.null(stage)) {
    # within a weighting scheme the user never named `w` or `d`
    msg <- gsub("weights with w/d in",
                "weights whose ratios to their starting weights are in",
                msg, fixed = TRUE)
  }
  advice <- switch(res$status,
    empty = paste(
      "Drop this margin, or merge the empty category into a neighbouring",
      "one, before calibrating."),
    collinear = paste(
      "Drop one of these margins: a factor needs either the intercept or",
      "one column per level, not both (model.matrix() keeps the",
      "intercept and drops one level)."),
    infeasible = (if (!is.null(calfun)) calfun_entry(calfun)$infeasible) %||%
      paste(
        "Check the totals, widen `bounds`, or use a calibration function",
        "that can reach them (\"linear\" allows any totals but may give",
        "negative weights)."),
    not_converged = paste(
      "Increase `control$maxit`, or loosen `control$epsilon`."),
    memory = "Free some memory and try again.",
    "This is a bug in panelattrition; please report it."
  )
  prefix <- if (is.null(stage)) "Calibration failed" else
    sprintf("Calibration failed at stage %s", format(stage))
  pa_abort(
    sprintf("%s: %s.\n%s", prefix, msg, advice),
    class = "panelattrition_calibration_error",
    stage = stage, margin = names_of, reason = res$status
  )
}
