# Argument checks shared by the exported functions, all raising the
# package's classed conditions (errors.R). Each names the argument as the
# user typed it.

match_choice <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1L])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% choices) {
    arg_error(arg, paste0("one of ", paste0("\"", choices, "\"",
                                            collapse = ", ")), x)
  }
  x
}

check_rhs_formula <- function(f, arg) {
  if (!inherits(f, "formula")) arg_error(arg, "a one-sided formula", f)
  if (length(f) == 3L) {
    pa_abort(
      sprintf(paste("`%s` must be one-sided (~ x1 + x2): the response is",
                    "who answered, which the panel already knows."), arg),
      class = "panelattrition_arg_error", argument = arg
    )
  }
  f
}

# The one rule for `control` lists of iterative fits (response models,
# calibrations, GEE, tilting): only `maxit` and `epsilon`, the others
# taken from `defaults`; `maxit` a whole number >= 1, `epsilon` a finite
# number > 0. Unknown or unnamed elements are an error that names them.
check_control <- function(control,
                          defaults = list(maxit = 100, epsilon = 1e-10),
                          arg = "control") {
  if (!is.list(control)) arg_error(arg, "a list(maxit, epsilon)", control)
  nms <- names(control)
  unnamed <- length(control) > 0L && (is.null(nms) || any(!nzchar(nms)))
  unknown <- setdiff(nms, c("maxit", "epsilon", ""))
  if (length(unknown) || unnamed) {
    pa_abort(
      sprintf("`%s` must be a list with elements `maxit` and `epsilon`; %s.",
              arg,
              if (length(unknown)) {
                sprintf("%s %s not one", format_names(unknown),
                        if (length(unknown) == 1L) "is" else "are")
              } else {
                "an unnamed element is not one"
              }),
      class = "panelattrition_arg_error", argument = arg,
      unknown = unknown
    )
  }
  maxit <- control$maxit %||% defaults$maxit
  epsilon <- control$epsilon %||% defaults$epsilon
  if (!is.numeric(maxit) || length(maxit) != 1L || is.na(maxit) ||
      maxit < 1 || maxit != round(maxit) || maxit > .Machine$integer.max) {
    arg_error(paste0(arg, "$maxit"), "a positive whole number", maxit)
  }
  if (!is.numeric(epsilon) || length(epsilon) != 1L || is.na(epsilon) ||
      !is.finite(epsilon) || epsilon <= 0) {
    arg_error(paste0(arg, "$epsilon"), "a positive number", epsilon)
  }
  list(maxit = as.double(maxit), epsilon = as.double(epsilon))
}

# A confidence level strictly between `lower` and 1.
check_conf_level <- function(x, arg = "conf_level", lower = 0) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x <= lower ||
      x >= 1) {
    arg_error(arg, sprintf("a number between %g and 1", lower), x)
  }
  invisible(x)
}

# `conf_level`, or the deprecated `level` of the same function when the
# user gave it (with a warning of class "panelattrition_deprecated"),
# checked under the name the user typed.
resolve_conf_level <- function(conf_level, level, fun, lower = 0) {
  if (is.null(level)) return(check_conf_level(conf_level, lower = lower))
  deprecated_arg("level", "conf_level", fun)
  check_conf_level(level, "level", lower)
}

deprecated_arg <- function(old, new, fun) {
  pa_warn(
    sprintf("`%s` of %s() is deprecated; use `%s` instead.", old, fun, new),
    class = "panelattrition_deprecated", argument = old
  )
}

check_trim <- function(trim, cap) {
  if (!is.null(trim) && !is.null(cap)) {
    pa_abort("Give `trim` or `cap`, not both.",
             class = "panelattrition_arg_error", argument = "trim")
  }
  if (!is.null(trim) && (!is.numeric(trim) || length(trim) != 1L ||
                         is.na(trim) || trim <= 0.5 || trim >= 1)) {
    arg_error("trim", "a number between 0.5 and 1", trim)
  }
  if (!is.null(cap) && (!is.numeric(cap) || length(cap) != 1L ||
                        is.na(cap) || cap <= 1 || !is.finite(cap))) {
    arg_error("cap", "a finite number greater than 1", cap)
  }
  invisible()
}

# Bounds on g for calibration: the calibration function's own rule (from
# its registry entry), then the range.
check_bounds <- function(bounds, calfun, method, margins) {
  calibrating <- method == "calibrate" || !is.null(margins)
  if (calibrating) calfun_entry(calfun)$check_bounds(bounds)
  if (is.null(bounds)) return(NULL)
  if (!is.numeric(bounds) || length(bounds) != 2L || anyNA(bounds) ||
      bounds[1] >= 1 || bounds[2] <= 1 || bounds[1] < 0) {
    arg_error("bounds", "c(L, U) with 0 <= L < 1 < U", bounds)
  }
  bounds
}

check_history_lags <- function(lags, history) {
  if (!is.numeric(lags) || length(lags) != 1L || is.na(lags) ||
      lags < 1 || (is.finite(lags) && lags != round(lags))) {
    arg_error("history_lags",
              "a positive whole number, or Inf for all earlier waves", lags)
  }
  if (is.null(history) && lags != 1) {
    pa_abort(
      paste("`history_lags` says how many earlier waves of the `history`",
            "variables enter the response models; name those variables",
            "with `history`."),
      class = "panelattrition_arg_error", argument = "history_lags"
    )
  }
  if (is.finite(lags) && lags < .Machine$integer.max) as.integer(lags) else Inf
}

check_wave <- function(x, waves, arg) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% waves) {
    arg_error(arg, sprintf("one of the panel's waves (%s)",
                           paste(waves, collapse = ", ")), x)
  }
  invisible(x)
}

check_min_n <- function(x) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < 0 ||
      !is.finite(x)) {
    arg_error("min_n", "a finite non-negative number", x)
  }
  invisible(x)
}

# A column the package treats as one value per row: an atomic vector (or
# factor, Date, ...), not a list column (I(list(...))) nor a matrix or
# array column (I(matrix(...))), which base R functions would mangle
# deep inside.
check_plain_column <- function(x, column, arg, where = "the panel's data") {
  if (is.atomic(x) && is.null(dim(x))) return(invisible(x))
  what <- if (is.list(x)) "a list column" else if (!is.null(dim(x))) {
    sprintf("a %s column (%s)", if (length(dim(x)) == 2L) "matrix" else "array",
            paste(dim(x), collapse = " x "))
  } else {
    sprintf("a column of class %s", class(x)[1L])
  }
  pa_abort(
    c(sprintf("`%s` names `%s`, which is %s of %s, not a column of single values.",
              arg, column, what, where),
      i = "Give a plain vector (numeric, character, factor or logical): one value per row."),
    class = c("panelattrition_column_error", "panelattrition_arg_error"),
    argument = arg, column = column
  )
}

# tabulate(wave[!is.na(y)], n_wave): how many rows of each wave code have a
# value, by one pass of the kernel for integer codes and plain values.
wave_value_counts <- function(y, wave, n_wave) {
  if (is.integer(wave) && length(wave) == length(y) &&
      (is.null(attributes(y)) || is.factor(y))) {
    out <- .Call(C_value_counts, y, wave, as.integer(n_wave))
    if (!is.null(out)) return(out)
  }
  tabulate(wave[!is.na(y)], n_wave)
}

# Refuses an outcome that no respondent answered at one of the waves
# `t_idx` (indices of the panel's waves) that an estimate is about, where
# the estimate would be empty or fail. With `each = FALSE` (estimates over
# all waves, such as wave_means() and ipw_gee(), which leave out a wave
# where a question was not asked) only an outcome with no value at any of
# them is refused.
check_wave_answers <- function(y, rows, waves, t_idx, name, arg,
                               each = TRUE, hint = NULL) {
  wv <- rows$wave
  # the waves present, by counting when they are plain positive codes
  present <- if (is.integer(wv) && length(wv) && !anyNA(wv) && min(wv) >= 1L) {
    which(tabulate(wv) > 0L)
  } else {
    wv
  }
  t_idx <- t_idx[t_idx %in% present]
  if (!length(t_idx)) return(invisible())
  answered <- wave_value_counts(y, rows$wave, length(waves))
  empty <- t_idx[answered[t_idx] == 0L]
  if (!length(empty) || (!each && length(empty) < length(t_idx))) {
    return(invisible())
  }
  n_resp <- tabulate(rows$wave, length(waves))[empty]
  pa_abort(
    c(sprintf("`%s` has no values at %s %s: it is missing for all %s there.",
              name, plural(length(empty), "wave"),
              paste(waves[empty], collapse = ", "),
              paste(n_resp, plural(n_resp, "respondent"), collapse = " and ")),
      x = "Nothing can be estimated for a wave without values.",
      i = hint %||% "Check the column (was it read from every wave's file?), or choose another outcome."),
    class = c("panelattrition_no_answers_error", "panelattrition_missing_error"),
    argument = arg, variables = name, waves = waves[empty]
  )
}

# Refuses a change or transition between two waves that nobody answered
# (with a value) at both; `both` flags the rows that did.
check_pair_answers <- function(both, name, arg, from, to) {
  from <- as.character(from)
  to <- as.character(to)
  if (any(both)) return(invisible())
  pa_abort(
    c(sprintf("Nobody has a value of `%s` at both wave %s and wave %s.",
              name, from, to),
      x = "A change between two waves needs people seen at both.",
      i = "Choose other waves (`from`, `to`), or check the column."),
    class = c("panelattrition_no_answers_error", "panelattrition_missing_error"),
    argument = arg, variables = name, waves = c(from, to)
  )
}
