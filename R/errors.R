# Conditions raised by the package. Every error carries the class
# `panelattrition_error` plus a specific class, and whatever fields locate
# the problem (file, line, column, argument), so callers can catch them
# with tryCatch() and tests can check them precisely.
#
# A message is one string, or a character vector in the tidyverse form: an
# unnamed first element saying what went wrong, then bullets named "x" (a
# problem), "i" (a hint or more information), "!" (a warning), "v" (what
# worked) or "*" (a plain bullet), e.g.
#   pa_abort(c("`by` names `gruop`, which is not a column.",
#              i = "Did you mean `group`?"), class = ...)
# conditionMessage() is plain text: the function named, then one bullet a
# line, each led by its symbol (cli's, ASCII where the locale has no
# Unicode). The bullets are also kept in the condition's field `bullets`.

pa_abort <- function(message, class = NULL, ..., call = NULL) {
  # the function goes in the message, not the condition's call, so that
  # it is printed once ("Error: wave_means(): ...")
  entry <- if (is.null(call)) entry_call() else call
  cond <- structure(
    class = c(class, "panelattrition_error", "error", "condition"),
    list(message = format_message(message, entry), call = call,
         bullets = message_bullets(message), ...)
  )
  stop(cond)
}

# The header (first unnamed element) with the function named, then the
# bullets, one a line.
format_message <- function(message, entry) {
  nms <- names(message) %||% rep("", length(message))
  message <- as.character(message)
  nms[is.na(nms)] <- ""
  if (!length(message)) message <- nms <- ""
  head_at <- if (!nzchar(nms[1L])) 1L else integer()
  header <- if (length(head_at)) message[1L] else ""
  body <- if (length(head_at)) message[-1L] else message
  kinds <- if (length(head_at)) nms[-1L] else nms
  lines <- c(name_function(header, entry),
             if (length(body)) paste(bullet_symbol(kinds), body))
  paste(lines[nzchar(lines)], collapse = "\n")
}

message_bullets <- function(message) {
  nms <- names(message)
  if (is.null(nms) || length(message) < 1L) return(character())
  keep <- nzchar(nms) & !is.na(nms)
  if (!nzchar(nms[1L])) keep[1L] <- FALSE
  message[keep]
}

bullet_symbol <- function(kind) {
  sym <- cli::symbol
  unname(vapply(kind, function(k) {
    switch(k, x = sym$cross, i = sym$info, "!" = "!", v = sym$tick,
           "*" = sym$bullet, " " = " ", sym$bullet)
  }, character(1)))
}

# The call by which the user entered the package: the outermost frame
# running one of the package's functions (an export, or a method reached
# through a generic such as plot()), so that messages say which function
# of theirs failed, as "wave_means(): ...".
entry_call <- function() {
  ns <- topenv(environment(entry_call))
  n <- sys.nframe() - 1L
  for (i in seq_len(max(n, 0L))) {
    f <- sys.function(i)
    if (is.function(f) && identical(topenv(environment(f)), ns)) {
      call <- sys.call(i)
      if (is.call(call) && (is.name(call[[1L]]) || is.call(call[[1L]]))) {
        return(call)
      }
    }
  }
  NULL
}

call_name <- function(call) {
  f <- call[[1L]]
  if (is.call(f) && as.character(f[[1L]]) %in% c("::", ":::")) f <- f[[3L]]
  if (!is.name(f)) return(NULL)
  name <- as.character(f)
  # a method reads as its generic: plot(), not plot.pa_estimates()
  generic <- sub("\\.(summary\\.)?pa_[a-z_]+$", "", name)
  if (!identical(generic, name)) return(generic)
  # only functions the user can call by name; internal ones are not named
  if (name %in% getNamespaceExports(topenv(environment(call_name)))) name
  else NULL
}

name_function <- function(message, call) {
  if (is.null(call)) return(message)
  fn <- call_name(call)
  if (is.null(fn) || startsWith(message, paste0(fn, "()"))) return(message)
  paste0(fn, "(): ", message)
}

pa_warn <- function(message, class = NULL, ..., call = NULL) {
  entry <- if (is.null(call)) entry_call() else call
  cond <- structure(
    class = c(class, "panelattrition_warning", "warning", "condition"),
    list(message = format_message(message, entry), call = call,
         bullets = message_bullets(message), ...)
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
  # a finite sum of squares vouches for every value (an infinite value or
  # an overflowing square makes it infinite) without counting them
  sum_sq <- if (is.double(y)) {
    .Call(C_column_sums, y)$sum_sq
  } else {
    sum(y * y, na.rm = TRUE)
  }
  if (is.finite(sum_sq)) return(invisible(y))
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
  abort_nonfinite(name, arg, y)
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

# The hint c(i = "Did you mean `x`?") when a name is a small edit away
# from one of `choices` (case ignored), otherwise nothing: append it to a
# message, pa_abort(c(msg, did_you_mean(name, choices))).
did_you_mean <- function(x, choices) {
  choices <- unique(choices[!is.na(choices)])
  if (!length(choices) || !is.character(x) || length(x) != 1L || is.na(x)) {
    return(character())
  }
  d <- drop(utils::adist(tolower(x), tolower(choices)))
  best <- which.min(d)
  if (d[best] > 0 && d[best] <= max(1L, nchar(x) %/% 3L)) {
    c(i = sprintf("Did you mean `%s`?", choices[best]))
  } else character()
}

# Column names given bare (wave_means(w, wellbeing)) fail as "object not
# found" when first used; check them first and say what to write instead.
check_quoted <- function(...) {
  args <- vapply(as.list(substitute(list(...)))[-1L], deparse1, character(1))
  for (i in seq_along(args)) {
    tryCatch(...elt(i), error = function(e) {
      msg <- conditionMessage(e)
      if (grepl("is missing, with no default", msg, fixed = TRUE)) {
        pa_abort(sprintf("`%s` is missing: name the column(s) as strings.",
                         args[i]),
                 class = "panelattrition_arg_error", argument = args[i])
      }
      what <- sub("^object '(.*)' not found$", "\\1", msg)
      if (identical(what, msg)) stop(e)
      pa_abort(sprintf(paste("`%s` must name columns as strings, such as",
                             "\"%s\"; `%s` is not an object here."),
                       args[i], what, what),
               class = "panelattrition_arg_error", argument = args[i])
    })
  }
  invisible()
}

# Stop with a classed error naming the argument when one of the calling
# function's arguments without a default (named in `...`) was not given,
# rather than R's unclassed error when the argument is first used.
check_required <- function(..., env = parent.frame()) {
  for (arg in c(...)) {
    if (eval(call("missing", as.name(arg)), env)) {
      pa_abort(sprintf("`%s` is missing: it has no default.", arg),
               class = "panelattrition_arg_error", argument = arg)
    }
  }
  invisible()
}
