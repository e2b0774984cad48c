# Conditions raised by the package. Every error carries the class
# `panelattrition_error` plus a specific class, and whatever fields locate
# the problem (file, line, column, argument), so callers can catch them
# with tryCatch() and tests can check them precisely.

pa_abort <- function(message, class = NULL, ..., call = NULL) {
  cond <- structure(
    class = c(class, "panelattrition_error", "error", "condition"),
    list(message = message, call = call, ...)
  )
  stop(cond)
}

pa_warn <- function(message, class = NULL, ..., call = NULL) {
  cond <- structure(
    class = c(class, "panelattrition_warning", "warning", "condition"),
    list(message = message, call = call, ...)
  )
  warning(cond)
}

# Argument checks. `arg` is the name of the argument as the user typed it,
# so messages read "`trim` must be ..., not ...".
describe_value <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.character(x) && length(x) == 1L && !is.na(x)) {
    return(sprintf("\"%s\"", x))
  }
  if (is.atomic(x) && length(x) == 1L) return(format(x))
  sprintf("a %s of length %d", class(x)[1L], length(x))
}

arg_error <- function(arg, must, value) {
  pa_abort(
    sprintf("`%s` must be %s, not %s.", arg, must, describe_value(value)),
    class = "panelattrition_arg_error", argument = arg
  )
}

check_string <- function(x, arg, null_ok = FALSE) {
  if (is.null(x) && null_ok) return(invisible(NULL))
  if (!is.character(x) || length(x) != 1L || is.na(x)) {
    arg_error(arg, "a single string", x)
  }
  invisible(x)
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    arg_error(arg, "TRUE or FALSE", x)
  }
  invisible(x)
}

# Outcomes whose weighted sums or sums of squares would overflow give
# Inf or NaN estimates; they are refused by name instead. Squares are the
# test because every variance sums squared (weighted) residuals.
check_finite_outcome <- function(y, name, arg) {
  if (!is.numeric(y) || is.object(y)) return(invisible(y))
  n_inf <- sum(is.infinite(y))
  if (n_inf > 0L) {
    pa_abort(
      sprintf(paste("Outcome `%s` has %d infinite %s. Recode %s (or set",
                    "%s to NA)."),
              name, n_inf, if (n_inf == 1L) "value" else "values",
              if (n_inf == 1L) "it" else "them",
              if (n_inf == 1L) "it" else "them"),
      class = c("panelattrition_nonfinite_error", "panelattrition_arg_error"),
      argument = arg, variables = name
    )
  }
  if (!is.finite(sum(y * y, na.rm = TRUE))) abort_nonfinite(name, arg, y)
  invisible(y)
}

abort_nonfinite <- function(name, arg, y = NULL) {
  size <- if (!is.null(y)) {
    sprintf(" (up to %s in absolute value)",
            format(max(abs(y), na.rm = TRUE), digits = 3))
  } else ""
  pa_abort(
    sprintf(paste("The estimates for outcome `%s` are not finite numbers:",
                  "its values are too large%s for the weighted sums and",
                  "variances. Rescale it (divide it by a power of 10)."),
            name, size),
    class = c("panelattrition_nonfinite_error", "panelattrition_arg_error"),
    argument = arg, variables = name
  )
}

# " Did you mean `x`?" when a name is a small edit away from one of
# `choices` (case ignored), otherwise "".
did_you_mean <- function(x, choices) {
  choices <- unique(choices[!is.na(choices)])
  if (!length(choices) || !is.character(x) || length(x) != 1L || is.na(x)) {
    return("")
  }
  d <- drop(utils::adist(tolower(x), tolower(choices)))
  best <- which.min(d)
  if (d[best] > 0 && d[best] <= max(2L, nchar(x) %/% 3L)) {
    sprintf(" Did you mean `%s`?", choices[best])
  } else ""
}
