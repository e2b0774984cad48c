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
